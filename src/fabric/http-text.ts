import http from 'node:http';
import https from 'node:https';

/** One HTTP(S) request to a Fabric server's REST side (CA, operations, channel participation). */
export interface TextRequest {
  method?: string;
  /** For https: the root the server's certificate chains to, and a client pair where it asks for one. */
  tls?: { ca?: string; cert?: string; key?: string };
  body?: { type: string; bytes: Buffer };
  timeoutMs: number;
}

/** The status and body text of a request; rejects when the server cannot be reached or does not answer in time. */
export function requestText(url: URL, req: TextRequest): Promise<{ status: number; text: string }> {
  const client = url.protocol === 'http:' ? http : https;
  const tls = url.protocol === 'http:' ? {} : (req.tls ?? {});
  return new Promise((resolve, reject) => {
    const sent = client.request(
      url,
      {
        method: req.method ?? 'GET',
        timeout: req.timeoutMs,
        ...tls,
        headers: req.body === undefined ? {} : { 'content-type': req.body.type, 'content-length': req.body.bytes.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    sent.on('timeout', () => sent.destroy(new Error(`${url.host}: no answer within ${req.timeoutMs / 1000} s`)));
    sent.on('error', reject);
    sent.end(req.body?.bytes);
  });
}
