import { randomBytes } from 'node:crypto';
import { hostAndPort } from './connection.js';
import { requestText } from './http-text.js';

/**
 * An orderer's channel participation API (what `osnadmin channel` calls): the channels it is on
 * and joining one with its genesis block. Over mutual TLS: the orderer admin's client TLS
 * certificate, which the orderer's admin endpoint checks against its client roots.
 */
export interface OrdererAdmin {
  /** host:port of the orderer's admin endpoint. */
  endpoint: string;
  /** The root the admin endpoint's TLS certificate chains to, PEM. */
  tlsRootPem: string;
  /** The ordering org admin's TLS client certificate and key, PEM. */
  clientCertPem: string;
  clientKeyPem: string;
}

/** A channel as an orderer has it: consenter or follower, and its height there. */
export interface ParticipationInfo {
  name: string;
  consensusRelation: string;
  status: string;
  height: number;
}

export class ParticipationError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ParticipationError';
  }
}

function call(
  admin: OrdererAdmin,
  method: string,
  path: string,
  body?: { type: string; bytes: Buffer },
  timeoutMs = 15_000,
): Promise<{ status: number; text: string }> {
  const { host, port } = hostAndPort(admin.endpoint);
  const url = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}${path}`);
  return requestText(url, {
    method,
    tls: { ca: admin.tlsRootPem, cert: admin.clientCertPem, key: admin.clientKeyPem },
    ...(body === undefined ? {} : { body }),
    timeoutMs,
  });
}

const errorOf = (text: string): string => {
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    return text;
  }
};

/** The channel as the orderer has it, or undefined when it is not on it. */
export async function ordererChannel(admin: OrdererAdmin, channel: string, timeoutMs?: number): Promise<ParticipationInfo | undefined> {
  const { status, text } = await call(admin, 'GET', `/participation/v1/channels/${encodeURIComponent(channel)}`, undefined, timeoutMs);
  if (status === 404) return undefined;
  if (status !== 200) throw new ParticipationError(`${admin.endpoint}: ${errorOf(text)} (HTTP ${status})`, status);
  return JSON.parse(text) as ParticipationInfo;
}

/** Joins the orderer to the channel with its genesis block; an orderer already on it is left as it is. */
export async function joinOrderer(
  admin: OrdererAdmin,
  channel: string,
  block: Uint8Array,
): Promise<ParticipationInfo & { joined: boolean }> {
  const already = await ordererChannel(admin, channel);
  if (already !== undefined) return { ...already, joined: false };
  const boundary = `----fabric-chatops-${randomBytes(12).toString('hex')}`;
  const bytes = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="config-block"; filename="${channel}.block"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    Buffer.from(block),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const { status, text } = await call(admin, 'POST', '/participation/v1/channels', {
    type: `multipart/form-data; boundary=${boundary}`,
    bytes,
  });
  if (status !== 201) throw new ParticipationError(`${admin.endpoint} did not join ${channel}: ${errorOf(text)} (HTTP ${status})`, status);
  return { ...(JSON.parse(text) as ParticipationInfo), joined: true };
}
