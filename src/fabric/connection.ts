import { createHash, createPrivateKey } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Gateway, type Signer } from '@hyperledger/fabric-gateway';
import { msp } from '@hyperledger/fabric-protos';
import { ServiceUnavailableError } from '../outage.js';

/** A peer the bot dials: its address and the CA root its TLS certificate chains to. */
export interface PeerEndpoint {
  address: string;
  tlsRootPem: string;
}

/** An enrolled identity that signs Fabric requests (an org's MSP admin for lifecycle calls). */
export interface FabricIdentity {
  mspId: string;
  certPem: string;
  keyPem: string;
}

/**
 * gRPC channel options for every peer connection. grpc-js shares connections to an address
 * between clients and, after failures, waits up to 2 minutes before dialling again: a peer that
 * came back would go unnoticed that long. Two seconds at most keeps a recovered peer in reach.
 */
export const PEER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': 2000,
};

export function grpcClient(peer: PeerEndpoint): grpc.Client {
  return new grpc.Client(peer.address, grpc.credentials.createSsl(Buffer.from(peer.tlsRootPem)), PEER_CHANNEL_OPTIONS);
}

export function signerFor(id: FabricIdentity): Signer {
  return signers.newPrivateKeySigner(createPrivateKey(id.keyPem));
}

/** host:port split at its last colon: the host, and the port as a number. */
export function hostAndPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

export const sha256 = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest();

/** The identity as Fabric names a transaction's creator or a signer (msp.SerializedIdentity). */
export function serializedIdentity(id: Pick<FabricIdentity, 'mspId' | 'certPem'>): Uint8Array {
  const creator = new msp.SerializedIdentity();
  creator.setMspid(id.mspId);
  creator.setIdBytes(Buffer.from(id.certPem));
  return creator.serializeBinary();
}

/** A Fabric Gateway connection through one peer; close the client when done. */
/** How long a submission waits for its transaction's commit status before it gives up (the client may submit again). */
export interface GatewayOptions {
  commitTimeoutMs?: number;
}

export function openGateway(peer: PeerEndpoint, id: FabricIdentity, opts: GatewayOptions = {}): { gateway: Gateway; client: grpc.Client } {
  const client = grpcClient(peer);
  const gateway = connect({
    client,
    identity: { mspId: id.mspId, credentials: Buffer.from(id.certPem) },
    signer: signerFor(id),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + 30_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 60_000 }),
    submitOptions: () => ({ deadline: Date.now() + 30_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + (opts.commitTimeoutMs ?? 120_000) }),
  });
  return { gateway, client };
}

/**
 * `err` as a ServiceUnavailableError when gRPC says the peer at `address` could not be reached
 * (UNAVAILABLE: refused, reset, no connection yet), so the job runner waits it out; else `err`.
 */
export function asPeerOutage(err: unknown, address: string): unknown {
  if (typeof err !== 'object' || err === null || (err as { code?: unknown }).code !== grpc.status.UNAVAILABLE) return err;
  const details = (err as { details?: unknown }).details;
  const said = typeof details === 'string' && details !== '' ? details : String((err as { message?: unknown }).message);
  // "No connection established. Last error: Error: connect ECONNREFUSED …. Resolution note: "
  const lastError = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/s.exec(said)?.[1];
  return new ServiceUnavailableError(`the peer ${address}`, lastError ?? said, { cause: err });
}

/** Runs `f` with a gateway and always closes it. */
export async function withGateway<T>(
  peer: PeerEndpoint,
  id: FabricIdentity,
  f: (g: Gateway) => Promise<T>,
  opts: GatewayOptions = {},
): Promise<T> {
  const { gateway, client } = openGateway(peer, id, opts);
  try {
    return await f(gateway);
  } catch (err) {
    throw asPeerOutage(err, peer.address);
  } finally {
    gateway.close();
    client.close();
  }
}
