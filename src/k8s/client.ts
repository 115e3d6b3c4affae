import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, Metrics } from '@kubernetes/client-node';
import { networkFailure, ServiceUnavailableError } from '../outage.js';

/** The typed API clients the operations use, built from one kubeconfig. */
export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  metrics: Metrics;
  objects: KubernetesObjectApi;
}

/**
 * From the file named (KUBECONFIG), else the default chain: $KUBECONFIG, ~/.kube/config,
 * then the in-cluster service account.
 */
export function connectKube(kubeconfigPath?: string): Kube {
  const config = new KubeConfig();
  if (kubeconfigPath !== undefined) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  return {
    config,
    core: reportingOutages(config.makeApiClient(CoreV1Api)),
    apps: reportingOutages(config.makeApiClient(AppsV1Api)),
    metrics: reportingOutages(new Metrics(config)),
    objects: reportingOutages(KubernetesObjectApi.makeApiClient(config)),
  };
}

const API_SERVER = 'the Kubernetes API server';
const OVERLOADED = new Set([429, 502, 503, 504]);

/** Turns an unreachable or overloaded API server into a ServiceUnavailableError; other errors pass. */
export function asKubeOutage(err: unknown): unknown {
  if (err instanceof ServiceUnavailableError) return err;
  const status = apiStatus(err);
  if (status !== undefined) return OVERLOADED.has(status) ? new ServiceUnavailableError(API_SERVER, `HTTP ${status}`, { cause: err }) : err;
  const failure = networkFailure(err);
  return failure === undefined ? err : new ServiceUnavailableError(API_SERVER, failure, { cause: err });
}

/** The same client, with each API call's outage errors made recognisable (see asKubeOutage). */
function reportingOutages<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const out: unknown = Reflect.apply(value, target, args);
        return out instanceof Promise ? out.catch((err: unknown) => Promise.reject(asKubeOutage(err))) : out;
      };
    },
  });
}

/** The HTTP status of a failed API call, when the client reports one. */
export function apiStatus(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'number') {
    return (err as { code: number }).code;
  }
  return undefined;
}

