import type { V1Pod } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { LABELS, PEER_ADDRESS_ANNOTATION, fabricSelector } from './labels.js';

export interface ContainerUsage {
  name: string;
  cpuMillicores: number;
  memoryBytes: number;
}

export interface PodStatus {
  name: string;
  org?: string;
  component?: string;
  phase: string;
  ready: boolean;
  restarts: number;
  ageSeconds: number;
  node?: string;
  /** Why it is not running, when Kubernetes says (CrashLoopBackOff, OOMKilled, …). */
  reason?: string;
  usage?: ContainerUsage[];
  /** Where a peer pod is reached, when something (the runtime, an operator) annotated it. */
  peerAddress?: string;
}

export function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

function podReason(pod: V1Pod): string | undefined {
  for (const cs of pod.status?.containerStatuses ?? []) {
    const reason = cs.state?.waiting?.reason ?? cs.state?.terminated?.reason ?? cs.lastState?.terminated?.reason;
    if (reason !== undefined && reason !== 'Completed') return reason;
  }
  return pod.status?.reason;
}

export function toPodStatus(pod: V1Pod, now = Date.now()): PodStatus {
  const created = pod.metadata?.creationTimestamp;
  const labels = pod.metadata?.labels ?? {};
  return {
    name: pod.metadata?.name ?? '?',
    org: labels[LABELS.org],
    component: labels[LABELS.component],
    phase: pod.status?.phase ?? 'Unknown',
    ready: podReady(pod),
    restarts: (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ageSeconds: created === undefined ? 0 : Math.max(0, Math.round((now - new Date(created).getTime()) / 1000)),
    node: pod.spec?.nodeName,
    reason: podReason(pod),
    peerAddress: pod.metadata?.annotations?.[PEER_ADDRESS_ANNOTATION],
  };
}

/** Kubernetes quantities: "250m", "1", "12345n" cores; "64Mi", "1Gi", "1000k" bytes. */
export function parseCpu(q: string): number {
  const m = /^([0-9.]+)([numkM]?)$/.exec(q);
  if (m === null) return 0;
  const n = Number(m[1]);
  const scale: Record<string, number> = { n: 1e-6, u: 1e-3, m: 1, '': 1000, k: 1e6, M: 1e9 };
  return n * (scale[m[2] ?? ''] ?? 0);
}

export function parseMemory(q: string): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$/.exec(q);
  if (m === null) return 0;
  const scale: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12, m: 1e-3 };
  return Number(m[1]) * (m[2] === undefined ? 1 : (scale[m[2]] ?? 1));
}

/**
 * The Fabric pods of a namespace with their usage: one list call for pods (by label)
 * and, when asked, one for metrics.k8s.io — never a call per pod.
 */
export async function fabricPods(kube: Kube, namespace: string, opts: { org?: string; withMetrics?: boolean } = {}): Promise<PodStatus[]> {
  const selector = opts.org === undefined ? fabricSelector : `${fabricSelector},${LABELS.org}=${opts.org}`;
  const [pods, metrics] = await Promise.all([
    kube.core.listNamespacedPod({ namespace, labelSelector: selector }),
    opts.withMetrics === true ? kube.metrics.getPodMetrics(namespace) : Promise.resolve(undefined),
  ]);
  const usage = new Map<string, ContainerUsage[]>();
  for (const item of metrics?.items ?? []) {
    usage.set(
      item.metadata.name,
      item.containers.map((c) => ({ name: c.name, cpuMillicores: parseCpu(c.usage.cpu), memoryBytes: parseMemory(c.usage.memory) })),
    );
  }
  const now = Date.now();
  return pods.items
    .map((p) => ({ ...toPodStatus(p, now), usage: usage.get(p.metadata?.name ?? '') }))
    .sort((a, b) => (a.org ?? '').localeCompare(b.org ?? '') || a.name.localeCompare(b.name, undefined, { numeric: true }));
}
