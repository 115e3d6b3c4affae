import { requestText } from './http-text.js';

/** Where a node's operations service answers: its URL, and for https the root its certificate chains to. */
export interface OperationsEndpoint {
  url: string;
  tlsRootPem?: string;
}

/** The text of `path` on the operations service (plain HTTP, or HTTPS trusted with its root). */
async function get(endpoint: OperationsEndpoint, path: string, timeoutMs: number): Promise<string> {
  const url = new URL(path, endpoint.url);
  const { status, text } = await requestText(url, {
    ...(endpoint.tlsRootPem === undefined ? {} : { tls: { ca: endpoint.tlsRootPem } }),
    timeoutMs,
  });
  if (status !== 200) throw new Error(`${url.origin}${path}: HTTP ${status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`);
  return text;
}

/**
 * Per channel, whether this orderer leads its Raft cluster, from the Prometheus text its operations
 * service serves (the gauge consensus_etcdraft_is_leader; the orderer needs Metrics.Provider
 * prometheus). A channel the orderer does not report is absent.
 */
export function raftLeadershipOf(metrics: string): Map<string, boolean> {
  const leads = new Map<string, boolean>();
  for (const line of metrics.split('\n')) {
    const m = /^consensus_etcdraft_is_leader\{(?:[^}]*,)?channel="([^"]*)"[^}]*\}\s+(\S+)/.exec(line);
    if (m !== null) leads.set(m[1] as string, Number(m[2]) === 1);
  }
  return leads;
}

/** The orderer's Raft leadership per channel, read from its operations service's /metrics. */
export async function raftLeadership(endpoint: OperationsEndpoint, timeoutMs = 4000): Promise<Map<string, boolean>> {
  return raftLeadershipOf(await get(endpoint, '/metrics', timeoutMs));
}
