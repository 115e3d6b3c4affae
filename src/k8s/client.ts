import {
  AppsV1Api,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  Metrics,
  ServerConfiguration,
  type Configuration,
  type Middleware,
  type RequestContext,
} from '@kubernetes/client-node';
import { causeChain, networkFailure, ServiceUnavailableError } from '../outage.js';

/** The typed API clients the operations use, built from one kubeconfig. */
export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  metrics: Metrics;
}

export interface KubeOptions {
  /** How long one API call may take before it counts as the API server not answering. */
  timeoutMs?: number;
}

export const DEFAULT_API_TIMEOUT_MS = 30_000;

/**
 * From the file named (KUBECONFIG), else the default chain: $KUBECONFIG, ~/.kube/config,
 * then the in-cluster service account. Every call gets a deadline: an API server that accepts
 * connections and never answers would otherwise hold a job forever.
 */
export function connectKube(kubeconfigPath?: string, opts: KubeOptions = {}): Kube {
  const config = new KubeConfig();
  if (kubeconfigPath !== undefined) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_API_TIMEOUT_MS;
  const configuration = withDeadlines(config, timeoutMs);
  return {
    config,
    core: reportingOutages(new CoreV1Api(configuration), timeoutMs),
    apps: reportingOutages(new AppsV1Api(configuration), timeoutMs),
    // Metrics calls fetch without a signal; their deadline is a race (see reportingOutages).
    metrics: reportingOutages(new Metrics(config), timeoutMs),
  };
}

/** What KubeConfig.makeApiClient builds, plus an abort signal on every request. */
function withDeadlines(config: KubeConfig, timeoutMs: number): Configuration {
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig names no current cluster');
  // The kubeconfig hands each request a new connection pool (a TLS handshake per call, about
  // half of a Secret read here); the first one it makes serves every request after it.
  let pool: ReturnType<RequestContext['getDispatcher']>;
  const deadline: Middleware = {
    pre: async (request) => {
      request.setSignal(AbortSignal.timeout(timeoutMs));
      pool ??= request.getDispatcher();
      if (pool !== undefined) request.setDispatcher(pool);
      return request;
    },
    post: async (response) => response,
  };
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: config },
    promiseMiddleware: [deadline],
  });
}

/** KubernetesObjectApi with the kubeconfig's namespace as its default, as makeApiClient sets it. */
const API_SERVER = 'the Kubernetes API server';
const OVERLOADED = new Set([429, 502, 503, 504]);

/** Turns an unreachable, silent or overloaded API server into a ServiceUnavailableError; other errors pass. */
export function asKubeOutage(err: unknown, timeoutMs = DEFAULT_API_TIMEOUT_MS): unknown {
  if (err instanceof ServiceUnavailableError) return err;
  if (isTimeout(err)) return new ServiceUnavailableError(API_SERVER, `no answer within ${timeoutMs / 1000} s`, { cause: err });
  const status = apiStatus(err);
  if (status !== undefined) return OVERLOADED.has(status) ? new ServiceUnavailableError(API_SERVER, `HTTP ${status}`, { cause: err }) : err;
  const failure = networkFailure(err);
  return failure === undefined ? err : new ServiceUnavailableError(API_SERVER, failure, { cause: err });
}

const isTimeout = (err: unknown): boolean => [...causeChain(err)].some((e) => e.name === 'TimeoutError');

/**
 * The same client, with each API call's outage errors made recognisable (see asKubeOutage) and
 * each call given up on after `timeoutMs` even where no abort signal reaches the request.
 */
function reportingOutages<T extends object>(client: T, timeoutMs: number): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const out: unknown = Reflect.apply(value, target, args);
        return out instanceof Promise
          ? withinDeadline(out, timeoutMs).catch((err: unknown) => Promise.reject(asKubeOutage(err, timeoutMs)))
          : out;
      };
    },
  });
}

async function withinDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    // A little later than the request's own signal, which cancels it properly where it applies.
    timer = setTimeout(() => reject(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs + 1000);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The HTTP status of a failed API call, when the client reports one. */
export function apiStatus(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'number') {
    return (err as { code: number }).code;
  }
  return undefined;
}
