/**
 * A service the bot depends on could not be reached or said it is overloaded (connection
 * refused or reset, 429, 502-504): the same request is worth sending again in a moment.
 * Operations in src/k8s and src/fabric throw it; the job runner waits it out.
 */
export class ServiceUnavailableError extends Error {
  constructor(
    /** Who is unavailable, as a person would say it: "the Kubernetes API server". */
    readonly service: string,
    /** What was seen, for instance "connect ECONNREFUSED 127.0.0.1:6443". */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} is unavailable: ${detail}`, options);
    this.name = 'ServiceUnavailableError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** `err` and the errors it wraps as `cause`, outermost first (fetch wraps the low-level one). */
export function* causeChain(err: unknown): Generator<{ code?: unknown; name?: unknown; message?: unknown }> {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    yield e as { code?: unknown; name?: unknown; message?: unknown };
  }
}

/** The low-level network failure inside `err`, if there is one. */
export function networkFailure(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.message !== undefined ? String(e.message) : e.code;
  }
  return undefined;
}
