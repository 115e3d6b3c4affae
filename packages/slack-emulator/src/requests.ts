/**
 * Requests from Slack to the app over HTTP: form-encoded bodies signed with the signing secret
 * (v0 HMAC-SHA256 over "v0:timestamp:body"), and the 3 s Slack gives the app to acknowledge.
 */
import { createHmac } from 'node:crypto';

export interface SignOptions {
  timestamp?: number;
  signature?: string;
  secret?: string;
  retryNum?: number;
  version?: string;
}

export interface AppReply {
  status: number;
  body: string;
  ms: number;
}

/** Slack's limit for an acknowledgement; later, the user sees operation_timeout. */
export const ACK_BUDGET_MS = 3000;

export function signSlackRequest(secret: string, timestamp: number, body: string, version = 'v0'): string {
  return `${version}=${createHmac('sha256', secret).update(`${version}:${timestamp}:${body}`).digest('hex')}`;
}

/** POSTs `body` to the app as Slack would, signed unless `sign` says otherwise; late acks go to `problems`. */
export async function postToApp(
  url: string,
  body: string,
  signingSecret: string,
  sign: SignOptions,
  problems: string[],
): Promise<AppReply> {
  const timestamp = sign.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    // Exactly this, with no charset: Bolt parses the form only on an exact match.
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-Slack-Request-Timestamp': String(timestamp),
    'X-Slack-Signature': sign.signature ?? signSlackRequest(sign.secret ?? signingSecret, timestamp, body, sign.version),
  };
  if (sign.retryNum !== undefined) {
    headers['X-Slack-Retry-Num'] = String(sign.retryNum);
    headers['X-Slack-Retry-Reason'] = 'http_timeout';
  }
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (ms > ACK_BUDGET_MS && res.status === 200) problems.push(`acknowledged after ${Math.round(ms)} ms: Slack shows operation_timeout`);
  return { status: res.status, body: text, ms };
}
