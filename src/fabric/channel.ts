import type { Gateway } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import type { FabricIdentity, PeerEndpoint } from './connection.js';
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
