import tls from 'node:tls';
import { hostAndPort } from './connection.js';

/**
 * What a change to a channel's Raft set does to it: Raft orders only while a majority of the
 * consenters (its quorum) answer, and tolerates the failure of the rest.
 */

export const quorumOf = (consenters: number): number => Math.floor(consenters / 2) + 1;
export const faultToleranceOf = (consenters: number): number => Math.max(0, Math.floor((consenters - 1) / 2));

export interface RaftSetVerdict {
  /** Why the change is not made: the channel would stop ordering. */
  refusal?: string;
  /** What the channel loses by it, for the people who sign it. */
  warning?: string;
}

/** The verdict on going from the consenters `now` to `next` (host:port each), given which of them answer. */
export function raftSetChange(now: readonly string[], next: readonly string[], answering: ReadonlySet<string>): RaftSetVerdict {
  if (next.length === 0) return { refusal: 'a channel without consenters orders nothing, so the last one is not removed' };
  const quorum = quorumOf(next.length);
  const down = next.filter((c) => !answering.has(c));
  if (next.length - down.length < quorum)
    return {
      refusal:
        `the channel would lose quorum: of the ${next.length} consenters it would have, ${down.join(', ')} ` +
        `${down.length === 1 ? 'does' : 'do'} not answer, and Raft needs ${quorum} to order`,
    };
  const [before, after] = [faultToleranceOf(now.length), faultToleranceOf(next.length)];
  if (after >= before) return {};
  return {
    warning:
      `fault tolerance drops from ${before} to ${after} failed orderer${after === 1 ? '' : 's'}` +
      (after === 0 ? `: with ${next.length} consenters, any one down stops the channel` : ''),
  };
}

/**
 * Whether a TLS server answers at `address` (host:port) within `timeoutMs`: a handshake, no
 * request. Only liveness, so the certificate is not checked here.
 */
export function answers(address: string, timeoutMs = 2_000): Promise<boolean> {
  return handshake(address, { rejectUnauthorized: false }, timeoutMs).then(
    (socket) => {
      socket.destroy();
      return true;
    },
    () => false,
  );
}

/** The certificate a TLS server at `address` presents, PEM, checked against `rootPem` (and its host name). */
export async function presentedCertificate(address: string, rootPem: string, timeoutMs = 5_000): Promise<string> {
  const socket = await handshake(address, { ca: rootPem }, timeoutMs);
  try {
    return socket.getPeerX509Certificate()?.toString() ?? '';
  } finally {
    socket.destroy();
  }
}

function handshake(address: string, options: tls.ConnectionOptions, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ ...hostAndPort(address), ALPNProtocols: ['h2'], ...options }, () => {
      clearTimeout(timer);
      resolve(socket);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${address}: no TLS answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
