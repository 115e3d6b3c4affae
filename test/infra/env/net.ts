import https from 'node:https';
import net from 'node:net';
import { readFileSync } from 'node:fs';
export { freePort } from '../../../src/runtime/embedded-redis.js';

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** GET over HTTPS with optional client certificate; resolves status and body. */
export function httpsGet(url: string, tls: TlsFiles = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        ...(tls.ca === undefined ? { rejectUnauthorized: false } : { ca: readFileSync(tls.ca) }),
        ...(tls.cert === undefined ? {} : { cert: readFileSync(tls.cert) }),
        ...(tls.key === undefined ? {} : { key: readFileSync(tls.key) }),
        timeout: 3000,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

/** Whether a TCP connection to host:port opens. */
export function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, host, () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return res.ok;
}
