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

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** The low-level network failure inside `err` (fetch wraps it as the cause), if there is one. */
export function networkFailure(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return (e as { message?: unknown }).message !== undefined ? String((e as { message: unknown }).message) : code;
  }
  return undefined;
}
