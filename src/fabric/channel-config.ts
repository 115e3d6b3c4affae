import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { common, orderer } from '@hyperledger/fabric-protos';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';
import { PEER_CHANNEL_OPTIONS, serializedIdentity, sha256, signerFor, type FabricIdentity, type PeerEndpoint } from './connection.js';
import { firstCommitted } from './channel.js';
import { peerLocalCall } from './proposal.js';

/** An orderer the bot submits to: its address and the CA root its TLS certificate chains to. */
export type OrdererEndpoint = PeerEndpoint;

/** The orderer would not take a transaction; `status` is Fabric's (400 bad request, 403 forbidden…). */
export class OrdererRefusal extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'OrdererRefusal';
  }
}

/** The channel's current configuration as the peer has it (cscc GetChannelConfig; its sequence included). */
export async function channelConfig(target: PeerEndpoint, admin: FabricIdentity, channel: string): Promise<common.Config> {
  return common.Config.deserializeBinary(await peerLocalCall(target, admin, 'cscc', 'GetChannelConfig', [Buffer.from(channel)]));
}

/** The channel's latest config block as the peer has it (cscc GetConfigBlock): what an orderer joins a running channel with. */
export async function configBlock(target: PeerEndpoint, admin: FabricIdentity, channel: string): Promise<common.Block> {
  return common.Block.deserializeBinary(await peerLocalCall(target, admin, 'cscc', 'GetConfigBlock', [Buffer.from(channel)]));
}

/** The config sequence a block sets, when it is a config block; else undefined. */
export function configSequenceOf(block: common.Block): number | undefined {
  const [first] = block.getData()?.getDataList_asU8() ?? [];
  if (first === undefined) return undefined;
  const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(first).getPayload_asU8());
  const channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array());
  if (channelHeader.getType() !== common.HeaderType.CONFIG) return undefined;
  return common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig()?.getSequence();
}

/**
 * Waits for the peer to commit a config block of `channel` past config sequence `from.sequence`,
 * looking at the blocks it commits from block `from.block` on. Returns the new sequence.
 */
export async function configCommitted(
  target: PeerEndpoint,
  reader: FabricIdentity,
  channel: string,
  from: { block: number; sequence: number },
  opts: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<number> {
  return firstCommitted(
    target,
    reader,
    channel,
    from.block,
    (block) => {
      const sequence = configSequenceOf(block);
      return sequence !== undefined && sequence > from.sequence ? sequence : undefined;
    },
    { ...opts, what: `a config past sequence ${from.sequence}` },
  );
}

function signatureHeader(id: FabricIdentity): Uint8Array {
  const header = new common.SignatureHeader();
  header.setCreator(serializedIdentity(id));
  header.setNonce(randomBytes(24));
  return header.serializeBinary();
}

/**
 * One admin's signature over a ConfigUpdate, as `peer channel signconfigtx` makes it: what counts
 * towards the changed elements' mod_policy for that admin's org.
 */
export async function signConfigUpdate(update: Uint8Array, admin: FabricIdentity): Promise<common.ConfigSignature> {
  const header = signatureHeader(admin);
  const signature = new common.ConfigSignature();
  signature.setSignatureHeader(header);
  signature.setSignature(await signerFor(admin)(sha256(Buffer.concat([header, update]))));
  return signature;
}

/** An envelope of `type` on `channel` carrying `data`, signed by `signer` (creator, nonce, signature). */
async function signedEnvelope(
  type: common.HeaderTypeMap[keyof common.HeaderTypeMap],
  channel: string,
  data: Uint8Array,
  signer: FabricIdentity,
): Promise<common.Envelope> {
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(type);
  channelHeader.setChannelId(channel);
  channelHeader.setTimestamp(timestampPb.Timestamp.fromDate(new Date()));
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader(signer));
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(data);
  const bytes = payload.serializeBinary();
  const envelope = new common.Envelope();
  envelope.setPayload(bytes);
  envelope.setSignature(await signerFor(signer)(sha256(bytes)));
  return envelope;
}

/** The CONFIG_UPDATE transaction carrying the update and its signatures, signed by whoever submits it. */
export async function configUpdateTransaction(
  channel: string,
  update: Uint8Array,
  signatures: common.ConfigSignature[],
  submitter: FabricIdentity,
): Promise<common.Envelope> {
  const data = new common.ConfigUpdateEnvelope();
  data.setConfigUpdate(update);
  data.setSignaturesList(signatures);
  return signedEnvelope(common.HeaderType.CONFIG_UPDATE, channel, data.serializeBinary(), submitter);
}

const statusName = (status: number): string => Object.entries(common.Status).find(([, value]) => value === status)?.[0] ?? String(status);

/** Sends one transaction to the orderer (AtomicBroadcast Broadcast); throws OrdererRefusal unless it says SUCCESS. */
export async function broadcast(target: OrdererEndpoint, envelope: common.Envelope, timeoutMs = 30_000): Promise<void> {
  const client = new orderer.AtomicBroadcastClient(
    target.address,
    grpc.credentials.createSsl(Buffer.from(target.tlsRootPem)),
    PEER_CHANNEL_OPTIONS,
  );
  try {
    const response = await new Promise<orderer.BroadcastResponse>((resolve, reject) => {
      const stream = client.broadcast({ deadline: Date.now() + timeoutMs });
      stream.once('data', (r: orderer.BroadcastResponse) => {
        resolve(r);
        stream.end();
      });
      stream.once('error', reject);
      stream.once('end', () => reject(new Error(`the orderer ${target.address} closed the stream without an answer`)));
      stream.write(envelope);
    });
    const status = response.getStatus();
    if (status !== common.Status.SUCCESS)
      throw new OrdererRefusal(`${target.address} refused the transaction (${statusName(status)}): ${response.getInfo()}`, status);
  } finally {
    client.close();
  }
}

function seekNewest(): orderer.SeekPosition {
  const position = new orderer.SeekPosition();
  position.setNewest(new orderer.SeekNewest());
  return position;
}

/**
 * The orderer's height on the channel: its newest block's number + 1 (AtomicBroadcast Deliver,
 * seeking the newest block, as `reader`, whom the channel's Readers policy must admit).
 */
export async function ordererHeight(target: OrdererEndpoint, reader: FabricIdentity, channel: string, timeoutMs = 5_000): Promise<number> {
  const seek = new orderer.SeekInfo();
  seek.setStart(seekNewest());
  seek.setStop(seekNewest());
  seek.setBehavior(orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
  const envelope = await signedEnvelope(common.HeaderType.DELIVER_SEEK_INFO, channel, seek.serializeBinary(), reader);
  const client = new orderer.AtomicBroadcastClient(
    target.address,
    grpc.credentials.createSsl(Buffer.from(target.tlsRootPem)),
    PEER_CHANNEL_OPTIONS,
  );
  try {
    return await new Promise<number>((resolve, reject) => {
      const stream = client.deliver({ deadline: Date.now() + timeoutMs });
      stream.on('data', (r: orderer.DeliverResponse) => {
        const block = r.getBlock();
        if (block !== undefined) resolve((block.getHeader()?.getNumber() ?? 0) + 1);
        else
          reject(new OrdererRefusal(`${target.address} has no block of ${channel} to give (${statusName(r.getStatus())})`, r.getStatus()));
        stream.cancel();
      });
      stream.once('error', (err: grpc.ServiceError) => {
        if (err.code !== grpc.status.CANCELLED) reject(err);
      });
      stream.once('end', () => reject(new Error(`the orderer ${target.address} closed the stream without a block`)));
      stream.write(envelope);
    });
  } finally {
    client.close();
  }
}
