import { PatchStrategy, setHeaderOptions, type V1StatefulSet } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { pollUntil } from '../retry.js';

export interface ScaleProgress {
  desired: number;
  ready: number;
  current: number;
}

export class ScaleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaleError';
  }
}

/**
 * The pods a StatefulSet has between replica counts `from` and `to`: with spec.ordinals.start
 * = s, its n replicas are <name>-s … <name>-(s+n-1).
 */
export function podNamesForOrdinals(statefulSet: string, from: number, to: number, startOrdinal = 0): string[] {
  const names: string[] = [];
  for (let i = from; i < to; i++) names.push(`${statefulSet}-${startOrdinal + i}`);
  return names;
}

/** spec.ordinals.start: the ordinal of the StatefulSet's first pod (0 unless set). */
export async function firstOrdinal(kube: Kube, namespace: string, statefulSet: string): Promise<number> {
  const sts = await kube.apps.readNamespacedStatefulSet({ name: statefulSet, namespace });
  return sts.spec?.ordinals?.start ?? 0;
}

export async function currentReplicas(kube: Kube, namespace: string, statefulSet: string): Promise<number> {
  const scale = await kube.apps.readNamespacedStatefulSetScale({ name: statefulSet, namespace });
  return scale.spec?.replicas ?? 0;
}

/** Sets spec.replicas through the scale subresource (merge patch: a plain object body would go out as JSON-Patch). */
export async function setReplicas(kube: Kube, namespace: string, statefulSet: string, replicas: number): Promise<void> {
  if (!Number.isInteger(replicas) || replicas < 1) throw new ScaleError(`a peer StatefulSet needs at least 1 replica, not ${replicas}`);
  await kube.apps.patchNamespacedStatefulSetScale(
    { name: statefulSet, namespace, body: { spec: { replicas } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

function settled(sts: V1StatefulSet, replicas: number): boolean {
  const status = sts.status;
  const generation = sts.metadata?.generation ?? 0;
  return (
    (status?.observedGeneration ?? 0) >= generation &&
    (status?.replicas ?? -1) === replicas &&
    (status?.readyReplicas ?? 0) === replicas &&
    (status?.availableReplicas ?? status?.readyReplicas ?? 0) >= replicas
  );
}

/** Waits until the StatefulSet has exactly `replicas` pods, all Ready. */
export async function waitForReplicas(
  kube: Kube,
  namespace: string,
  statefulSet: string,
  replicas: number,
  opts: { timeoutMs: number; pollMs?: number; onProgress?: (p: ScaleProgress) => void | Promise<void>; signal?: AbortSignal },
): Promise<number> {
  const started = Date.now();
  let last = '';
  let ready = 0;
  return pollUntil(
    async () => {
      const sts = await kube.apps.readNamespacedStatefulSet({ name: statefulSet, namespace });
      const progress = { desired: replicas, ready: sts.status?.readyReplicas ?? 0, current: sts.status?.replicas ?? 0 };
      ready = progress.ready;
      const key = JSON.stringify(progress);
      if (key !== last) {
        last = key;
        await opts.onProgress?.(progress);
      }
      return settled(sts, replicas) ? Date.now() - started : undefined;
    },
    {
      everyMs: opts.pollMs ?? 500,
      withinMs: opts.timeoutMs,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      timedOut: () =>
        new ScaleError(`${statefulSet} has ${ready} of ${replicas} replicas ready after ${Math.round(opts.timeoutMs / 1000)} s`),
    },
  );
}
