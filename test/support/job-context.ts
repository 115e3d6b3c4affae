import { createLogger, type Logger } from '../../src/log.js';
import { ServiceUnavailableError } from '../../src/outage.js';
import { backoff, retry } from '../../src/retry.js';
import type { Config } from '../../src/config/model.js';
import { parseParams } from '../../src/jobs/catalog/kind.js';
import { CancelledError, PermanentError, errorMessage, isCancelled } from '../../src/jobs/engine/errors.js';
import type { ApprovalNotes, JobContext, JobEntry } from '../../src/jobs/engine/worker.js';
import type { ApprovalRequest } from '../../src/jobs/services/approvals.js';
import type { JobRequest, JobResult, JobView, JsonValue, StepRecord, StepSpec } from '../../src/jobs/engine/types.js';
import { memoryCreatedChannels } from '../../src/jobs/services/created-channels.js';
import type { Platform } from '../../src/jobs/services/platform.js';

/**
 * A JobContext held in memory, for running a handler directly and fast: no Redis, no BullMQ, no
 * Slack. Its steps follow JobRun in src/jobs/engine/worker.ts: a step recorded as done under its
 * key (or, for records without a key, its title) is not run again and its result comes back; a
 * step an earlier attempt left unfinished is reported by interruptedAt and runs again; a step is
 * not started once the job is cancelled; a step that fails is recorded as failed with the error;
 * a service found unavailable is waited out, the wait shown on the step, for outagePatienceMs.
 * Where JobRun saves progress and publishes the status, this one keeps the notes in `notes`.
 */
export interface MemoryJobOptions {
  id?: string;
  /** The request; type, command, requester, channel and network get test values when left out. */
  request?: Partial<JobRequest>;
  attempt?: number;
  maxAttempts?: number;
  queuedAt?: number;
  startedAt?: number;
  /** What an earlier attempt recorded: done steps are skipped, the others count as interrupted. */
  steps?: StepRecord[];
  /** What the handler acts through; by default none (its config and kube() throw a PermanentError). */
  platform?: Platform;
  /** What redisRoundTripMs answers. Default 0.5. */
  redisRoundTripMs?: number;
  /** How long a step waits out an unavailable service (the worker's default is 5 minutes). Default 0. */
  outagePatienceMs?: number;
  log?: Logger;
}

export interface Note {
  key: string;
  detail: string;
}

const OUTAGE_MAX_PAUSE_MS = 5000;

export class MemoryJobContext implements JobContext {
  readonly id: string;
  readonly request: JobRequest;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly queuedAt: number;
  readonly startedAt: number;
  readonly log: Logger;
  readonly platform: Platform;
  /** The steps as the job's progress holds them, in the order they were recorded. */
  steps: StepRecord[];
  /** Every note a step made, in order. */
  readonly notes: Note[] = [];
  /** What fabricReadiness recorded, in order. */
  readonly readiness: Array<{ approvalId: string; readiness: Record<string, boolean> }> = [];
  private readonly controller = new AbortController();
  private readonly interrupted: Map<string, number>;
  private cancelledBy: string | undefined;
  private readonly rttMs: number;
  private readonly outagePatienceMs: number;

  constructor(opts: MemoryJobOptions = {}) {
    const now = Date.now();
    this.id = opts.id ?? 'memjob000001';
    this.request = {
      type: 'ping',
      params: {},
      requester: { userId: 'U0ALICE' },
      channel: 'C0OPS',
      network: 'testnet',
      command: '/fabric ping',
      requestedAt: now,
      ...opts.request,
    };
    this.attempt = opts.attempt ?? 1;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.queuedAt = opts.queuedAt ?? now;
    this.startedAt = opts.startedAt ?? now;
    this.log = opts.log ?? createLogger({ level: 'silent' });
    this.platform = opts.platform ?? noPlatform;
    const earlier = opts.steps ?? [];
    // As JobRun: a step left "running" or "failed" by an earlier attempt will run again.
    this.steps = earlier.filter((s) => s.state === 'done').map((s) => ({ ...s }));
    this.interrupted = new Map(earlier.filter((s) => s.state !== 'done').map((s) => [s.key ?? s.name, s.startedAt]));
    this.rttMs = opts.redisRoundTripMs ?? 0.5;
    this.outagePatienceMs = opts.outagePatienceMs ?? 0;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** What `/fabric cancel` does: the running step is aborted, and no further step starts. */
  cancel(by: string): void {
    this.cancelledBy = by;
    this.controller.abort(new Error('cancelled'));
  }

  /** What the worker shutting down does: the signal aborts, nobody cancelled. */
  shutDown(): void {
    this.controller.abort(new Error('worker shutting down'));
  }

  interruptedAt(step: StepSpec): number | undefined {
    return this.interrupted.get(step.key) ?? this.interrupted.get(step.title);
  }

  /** The recorded step with this key, if any. */
  stepNamed(key: string): StepRecord | undefined {
    return this.steps.find((s) => s.key === key);
  }

  async step<T extends JsonValue | void>(spec: StepSpec, run: (note: (detail: string) => Promise<void>) => Promise<T>): Promise<T> {
    // Records from before steps had keys are matched by their title.
    const same = (s: StepRecord): boolean => s.key === spec.key || (s.key === undefined && s.name === spec.title);
    const finished = this.steps.find((s) => same(s) && s.state === 'done');
    if (finished !== undefined) return finished.result as T;
    this.throwIfCancelled();
    const record: StepRecord = { key: spec.key, name: spec.title, state: 'running', startedAt: Date.now() };
    this.steps = this.steps.filter((s) => !same(s));
    this.steps.push(record);
    try {
      const waits = new Map<string, number>();
      const result = await this.waitingOutOutages(record, waits, () =>
        run(async (detail) => {
          record.detail = detail;
          this.notes.push({ key: spec.key, detail });
        }),
      );
      record.state = 'done';
      record.endedAt = Date.now();
      if (result !== undefined) record.result = result as JsonValue;
      const waited = [...waits].map(([service, ms]) => `waited ${Math.round(ms / 1000)} s for ${service}`).join(', ');
      if (waited !== '') record.detail = record.detail === undefined ? waited : `${record.detail} (${waited})`;
      return result;
    } catch (err) {
      record.state = 'failed';
      record.endedAt = Date.now();
      record.detail = errorMessage(err);
      if (this.signal.aborted && !isCancelled(err) && this.cancelledBy !== undefined) throw new CancelledError(this.cancelledBy);
      throw err;
    }
  }

  /**
   * Work outside steps (reading keys that must not be stored): waited out like a step while a
   * service is unavailable, shown as a step only while it waits or once it fails, never recorded as done.
   */
  async prepare<T>(title: string, run: () => Promise<T>): Promise<T> {
    this.throwIfCancelled();
    const record: StepRecord = { key: `prepare:${title}`, name: title, state: 'running', startedAt: Date.now() };
    const waits = new Map<string, number>();
    this.steps.push(record);
    try {
      const result = await this.waitingOutOutages(record, waits, run);
      this.steps = this.steps.filter((s) => s !== record);
      return result;
    } catch (err) {
      record.state = 'failed';
      record.endedAt = Date.now();
      record.detail = errorMessage(err);
      throw err;
    }
  }

  private async waitingOutOutages<T>(record: StepRecord, waits: Map<string, number>, attempt: () => Promise<T>): Promise<T> {
    const since = Date.now();
    try {
      return await retry(attempt, {
        retryIf: (err) => err instanceof ServiceUnavailableError,
        withinMs: this.outagePatienceMs,
        delayMs: backoff(500, OUTAGE_MAX_PAUSE_MS),
        signal: this.signal,
        onRetry: (err, _tries, pause) => {
          const e = err as ServiceUnavailableError;
          record.detail = `waiting for ${e.service} (${e.detail}), ${Math.round((Date.now() - since) / 1000)} s so far`;
          waits.set(e.service, Date.now() + pause - since);
        },
      });
    } catch (err) {
      if (!(err instanceof ServiceUnavailableError) || this.signal.aborted || waits.size === 0) throw err;
      const detail = `${err.detail}; gave up after waiting ${Math.round((Date.now() - since) / 1000)} s`;
      throw new ServiceUnavailableError(err.service, detail, { cause: err });
    }
  }

  /** Approval requests kept in memory: readiness, plans and signatures recorded as Approvals would keep them. */
  readonly approvalRequests = new Map<string, ApprovalRequest>();

  readonly approvals: ApprovalNotes = {
    get: async (approvalId) => this.approvalRequests.get(approvalId),
    fabricReadiness: async (approvalId, readiness) => {
      this.readiness.push({ approvalId, readiness });
    },
    plan: async (approvalId, plan) => {
      const request = this.approvalRequests.get(approvalId);
      if (request === undefined) return plan;
      request.plan ??= plan;
      return request.plan;
    },
    signature: async (approvalId, signature) => {
      const request = this.approvalRequests.get(approvalId);
      const kept = request?.signatures.find((s) => s.org === signature.org);
      if (kept !== undefined) return kept;
      request?.signatures.push(signature);
      return signature;
    },
    narrow: async (approvalId, orgs, needed) => {
      const request = this.approvalRequests.get(approvalId);
      if (request === undefined || request.state !== 'open' || request.votes.length > 0) return false;
      request.policy = { ...request.policy, orgs };
      request.needed = needed;
      return true;
    },
  };

  async redisRoundTripMs(): Promise<number> {
    return this.rttMs;
  }

  private throwIfCancelled(): void {
    if (this.cancelledBy !== undefined) throw new CancelledError(this.cancelledBy);
  }

  /** The job as its status message would show it now (render it with renderJobStatus). */
  view(state: JobView['state'], extra: Partial<JobView> = {}): JobView {
    return {
      id: this.id,
      type: this.request.type,
      command: this.request.command,
      requester: this.request.requester,
      ...(this.request.targetOrg === undefined ? {} : { targetOrg: this.request.targetOrg }),
      channel: this.request.channel,
      network: this.request.network,
      state,
      steps: this.steps,
      attempt: this.attempt,
      maxAttempts: this.maxAttempts,
      queuedAt: this.queuedAt,
      startedAt: this.startedAt,
      ...extra,
    };
  }
}

/**
 * Runs a job's handler as the worker does once it has the job: its params checked against the
 * kind's schema first (a PermanentError naming the bad fields otherwise), then the handler.
 */
export async function runJob(entry: JobEntry, ctx: JobContext, params: unknown): Promise<JobResult> {
  const parsed = parseParams(entry.kind, params);
  if (!parsed.ok) throw new PermanentError(`the job's data is not valid, so nothing was done: ${parsed.problem}`);
  return entry.run(ctx, parsed.params);
}

/** For handlers that need no configuration and no cluster: asking for either fails the step. */
const noPlatform: Platform = {
  get config(): Config {
    throw new PermanentError('this MemoryJobContext was given no platform (MemoryJobOptions.platform)');
  },
  kube() {
    throw new PermanentError('Kubernetes is not configured: set KUBECONFIG, or run the worker in a cluster');
  },
  createdChannels: memoryCreatedChannels(),
};
