import { makeInformer, type Informer, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { apiStatus } from './client.js';
import { fabricSelector } from './labels.js';

export interface PodWatchHandlers {
  onPod(pod: V1Pod): void | Promise<void>;
  onDelete(pod: V1Pod): void | Promise<void>;
  onError(err: unknown): void;
}

export interface PodWatch {
  /** The pods as last seen, for periodic re-evaluation (conditions that depend on time). */
  pods(): V1Pod[];
  stop(): Promise<void>;
}

/**
 * An informer on a namespace's Fabric pods (list, then watch). It starts again after a watch
 * error, with a delay, so a restarted API server or a dropped connection costs only a resync.
 */
export async function watchFabricPods(
  kube: Kube,
  namespace: string,
  handlers: PodWatchHandlers,
  opts: { restartDelayMs?: number } = {},
): Promise<PodWatch> {
  const informer: Informer<V1Pod> & ObjectCache<V1Pod> = makeInformer(
    kube.config,
    `/api/v1/namespaces/${namespace}/pods`,
    () => kube.core.listNamespacedPod({ namespace, labelSelector: fabricSelector }),
    fabricSelector,
  );
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const safely = (f: () => void | Promise<void>): void => {
    Promise.resolve()
      .then(f)
      .catch((err: unknown) => handlers.onError(err));
  };
  informer.on('add', (pod) => safely(() => handlers.onPod(pod)));
  informer.on('update', (pod) => safely(() => handlers.onPod(pod)));
  informer.on('delete', (pod) => safely(() => handlers.onDelete(pod)));
  informer.on('error', (err: unknown) => {
    handlers.onError(err);
    if (stopped) return;
    timer = setTimeout(
      () => {
        if (!stopped) informer.start().catch((e: unknown) => handlers.onError(e));
      },
      apiStatus(err) === 410 ? 0 : (opts.restartDelayMs ?? 2000),
    );
  });
  await informer.start();
  return {
    pods: () => [...informer.list(namespace)],
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await informer.stop();
    },
  };
}

/** The last lines a pod's container wrote; a short note instead when there are none to read. */
export async function podLogTail(kube: Kube, namespace: string, pod: string, lines = 20): Promise<string> {
  try {
    const text = await kube.core.readNamespacedPodLog({ name: pod, namespace, tailLines: lines });
    return typeof text === 'string' && text.trim() !== '' ? text : '(no log output)';
  } catch (err) {
    return `(logs unavailable: HTTP ${apiStatus(err) ?? 'error'})`;
  }
}
