/**
 * Fault injection, for tests only: a plug-in that answers chosen Web API calls and response_url
 * posts with Slack's failures (429 with Retry-After, or a 5xx) before the emulator serves them.
 * It hooks in through the emulator's general interceptor (`emulator.use`); the emulator itself
 * knows nothing of it, so a program that never imports this entry point carries none of it.
 */
import { SlackEmulator, type EmulatorOptions, type InterceptedAnswer, type Interceptor } from './emulator.js';

export type InjectedFailure = { status: 429; retryAfterSec: number } | { status: 500 | 502 | 503 };

/** Storms and queued failures per method; install with `emulator.use(faults.interceptor)`. */
export class Faults {
  private readonly storms = new Map<string, { pattern: readonly (InjectedFailure | 'ok')[]; next: number }>();
  private readonly failures = new Map<string, InjectedFailure[]>();

  /**
   * Until called again with `undefined`, calls of `method` (or `'response_url'` for posts to
   * response URLs) follow `pattern` in turn: a failure is answered as given, `'ok'` is served
   * normally. Injected before any other checks.
   */
  storm(method: string, pattern: readonly (InjectedFailure | 'ok')[] | undefined): void {
    if (pattern === undefined || pattern.length === 0) this.storms.delete(method);
    else this.storms.set(method, { pattern, next: 0 });
  }

  /** The next `count` calls of `method` fail as given, before any other checks (and before a storm's turn). */
  failNext(method: string, failure: InjectedFailure, count = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < count; i++) queue.push(failure);
    this.failures.set(method, queue);
  }

  /** The interceptor to `use`: answers a call that a queued failure or the method's storm says should fail. */
  readonly interceptor: Interceptor = ({ method }) => {
    // The storm's pattern moves on with every call, whether or not a queued failure answers it.
    const stormy = this.stormFailure(method);
    const injected = this.failures.get(method)?.shift() ?? stormy;
    return injected === undefined ? undefined : failureAnswer(method, injected);
  };

  /** The failure the storm on `method` has for this call, if any (the pattern moves on either way). */
  private stormFailure(method: string): InjectedFailure | undefined {
    const storm = this.storms.get(method);
    if (storm === undefined) return undefined;
    const next = storm.pattern[storm.next++ % storm.pattern.length];
    return next === 'ok' ? undefined : next;
  }
}

/** A failure as Slack answers it: JSON {ok:false} from the Web API, plain text from a response URL. */
function failureAnswer(method: string, failure: InjectedFailure): InterceptedAnswer {
  const limited = failure.status === 429;
  const headers: Record<string, string> = limited ? { 'Retry-After': String(failure.retryAfterSec) } : {};
  if (method === 'response_url') return { status: failure.status, headers, body: limited ? 'rate_limited' : 'server_error' };
  return { status: failure.status, headers, body: { ok: false, error: limited ? 'ratelimited' : 'fatal_error' } };
}

/** The emulator with the fault plug-in installed, and its `storm` and `failNext` at hand: what tests start. */
export class FaultySlackEmulator extends SlackEmulator {
  private readonly faults = new Faults();

  protected constructor(opts: EmulatorOptions) {
    super(opts);
    this.use(this.faults.interceptor);
  }

  static override async start(opts: EmulatorOptions): Promise<FaultySlackEmulator> {
    const emulator = new FaultySlackEmulator(opts);
    await emulator.listen();
    return emulator;
  }

  /** See Faults.storm. */
  storm(method: string, pattern: readonly (InjectedFailure | 'ok')[] | undefined): void {
    this.faults.storm(method, pattern);
  }

  /** See Faults.failNext. */
  failNext(method: string, failure: InjectedFailure, count = 1): void {
    this.faults.failNext(method, failure, count);
  }
}
