import type { Gateway } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { withGateway, type FabricIdentity, type PeerEndpoint } from './connection.js';
import { PeerProposalError, peerLocalCall } from './proposal.js';

/** Block 0 of the channel, read from a peer already on it (qscc), for a new peer to join with. */
export async function genesisBlock(gateway: Gateway, channel: string): Promise<Uint8Array> {
  return gateway.getNetwork(channel).getContract('qscc').evaluateTransaction('GetBlockByNumber', channel, '0');
}

/** Joins the peer to the channel (cscc JoinChain); a peer already on it counts as joined. */
export async function joinPeer(target: PeerEndpoint, admin: FabricIdentity, block: Uint8Array): Promise<'joined' | 'already-joined'> {
  try {
    await peerLocalCall(target, admin, 'cscc', 'JoinChain', [block]);
    return 'joined';
  } catch (err) {
    if (err instanceof PeerProposalError && /already exists/.test(err.message)) return 'already-joined';
    throw err;
  }
}

/** The peer's ledger height on the channel (qscc GetChainInfo), asked of that very peer. */
export async function ledgerHeight(target: PeerEndpoint, admin: FabricIdentity, channel: string, timeoutMs?: number): Promise<number> {
  const payload = await peerLocalCall(target, admin, 'qscc', 'GetChainInfo', [Buffer.from(channel)], channel, timeoutMs);
  return common.BlockchainInfo.deserializeBinary(payload).getHeight();
}

/**
 * What `pick` finds first among the blocks the peer commits on `channel` from block `fromBlock` on,
 * read from its Deliver service as `reader` (any member of the channel, whichever org the peer is
 * of): the wait ends as the block is in, with no polling. Rejects after `timeoutMs`, naming `what`
 * it waited for, or when `signal` aborts.
 */
export async function firstCommitted<T>(
  target: PeerEndpoint,
  reader: FabricIdentity,
  channel: string,
  fromBlock: number,
  pick: (block: common.Block) => T | undefined,
  opts: { timeoutMs: number; what: string; signal?: AbortSignal | undefined },
): Promise<T> {
  if (opts.signal?.aborted === true) throw opts.signal.reason;
  return withGateway(target, reader, async (gateway) => {
    const blocks = await gateway.getNetwork(channel).getBlockEvents({ startBlock: BigInt(fromBlock) });
    let ended: Error | undefined;
    const end = (why: Error): void => {
      ended = why;
      blocks.close();
    };
    const timer = setTimeout(
      () => end(new Error(`${target.address} did not commit ${opts.what} on ${channel} within ${opts.timeoutMs / 1000} s`)),
      opts.timeoutMs,
    );
    const onAbort = (): void => end(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const block of blocks) {
        const found = pick(block);
        if (found !== undefined) return found;
      }
      throw ended ?? new Error(`${target.address} ended its blocks of ${channel} before ${opts.what}`);
    } catch (err) {
      throw ended ?? err;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      blocks.close();
    }
  });
}

/** The block's number. */
export const blockNumber = (block: common.Block): number => block.getHeader()?.getNumber() ?? 0;
