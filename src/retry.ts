/**
 * The one way this code tries something again: a failed call (a reply Slack did not take, a peer
 * not listening yet, a service that is down) and a condition waited for (replicas Ready, a
 * deployment rolled out) alike. Every layer uses it; it knows nothing of them.
 */

export interface RetryOptions {
  /** Whether this failure is worth another try; by default every one is. */
  retryIf?: (err: unknown, attempt: number) => boolean;
  /** Tries in all, the first included; unlimited by default (then give `withinMs`). */
  attempts?: number;
  /** No new try starts once this long has passed since the first. */
  withinMs?: number;
  /** The pause before try `attempt + 1`: fixed, or computed (backoff, Retry-After). */
  delayMs: number | ((attempt: number, err: unknown) => number);
  /** Aborting ends the wait at once, with the signal's reason. */
  signal?: AbortSignal;
  /** Told before each pause, for progress notes and logs. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void | Promise<void>;
}

/** Exponential backoff: `base` doubled each attempt, at most `max`, with ±50 % jitter if asked. */
export const backoff =
  (base: number, max: number, jitter = false) =>
  (attempt: number): number =>
    Math.round(Math.min(max, base * 2 ** (attempt - 1)) * (jitter ? 0.5 + Math.random() : 1));

/** Pauses that grow by `step` each attempt, at most `max`: for what is usually ready within a few steps, often in the first. */
export const rampUp =
  (step: number, max: number) =>
  (attempt: number): number =>
    Math.min(max, step * attempt);

/** Runs `fn` until it succeeds, or rethrows its last error when the options say to stop. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const pause = typeof opts.delayMs === 'number' ? opts.delayMs : opts.delayMs(attempt, err);
      const outOfTries = opts.attempts !== undefined && attempt >= opts.attempts;
      const outOfTime = opts.withinMs !== undefined && Date.now() - started >= opts.withinMs;
      if (outOfTries || outOfTime || opts.signal?.aborted === true || !(opts.retryIf?.(err, attempt) ?? true)) throw err;
      await opts.onRetry?.(err, attempt, pause);
      await sleep(pause, opts.signal);
    }
  }
}

class NotYet extends Error {}

/**
 * Asks `probe` every `everyMs` (fixed, or by attempt) until it returns a value (not undefined);
 * past `withinMs` throws what `timedOut` makes of the last answer.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  opts: { everyMs: number | ((attempt: number) => number); withinMs: number; signal?: AbortSignal; timedOut: () => Error },
): Promise<T> {
  try {
    return await retry(
      async () => {
        const value = await probe();
        if (value === undefined) throw new NotYet();
        return value;
      },
      {
        delayMs: opts.everyMs,
        withinMs: opts.withinMs,
        retryIf: (err) => err instanceof NotYet,
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      },
    );
  } catch (err) {
    throw err instanceof NotYet ? opts.timedOut() : err;
  }
}

/** A sleep that ends early, with the signal's reason, when the signal aborts. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
