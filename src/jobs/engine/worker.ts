import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { ServiceUnavailableError } from '../../outage.js';
import { backoff, retry } from '../../retry.js';
import { jobDuration, jobsTotal } from '../../metrics.js';
import type { ApprovalRequest, Approvals, ChannelPlan, PlanSignature } from '../services/approvals.js';
import type { AuditLog } from '../services/audit.js';
import type { Platform } from '../services/platform.js';
import { CancelledError, PermanentError, RequestAgainError, errorMessage, isCancelled, isPermanent } from './errors.js';
import { envelopeProblem, parseParams, type JobKind, type ParamsOf } from '../catalog/kind.js';
import { cancelKey, queueNameFor, toView } from './queue.js';
import { KEY_PREFIX } from './redis.js';
import type {
  JobData,
  JobProgress,
  JobReporter,
  JobRequest,
  JobResult,
  JobView,
  JsonValue,
  StatusMessageRef,
  StepRecord,
  StepSpec,
} from './types.js';

export interface JobContext {
  readonly id: string;
  readonly request: JobRequest;
  readonly attempt: number;
  readonly queuedAt: number;
  readonly startedAt: number;
  /** Aborted when the job is cancelled or the worker shuts down. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Configuration and the Kubernetes and Fabric clients the job acts through. */
  readonly platform: Platform;
  /**
   * Runs one step and records it under its key. A step finished by an earlier attempt (a crashed
   * worker, a retry, an earlier release) is not run again: its recorded result is returned.
   */
  step<T extends JsonValue | void>(spec: StepSpec, run: (note: (detail: string) => Promise<void>) => Promise<T>): Promise<T>;
  /**
   * Work a job does before or between its steps that is neither recorded nor skipped (reading its
   * target's Secrets, holding keys that must not be stored): waited out like a step while a service
   * it needs is unavailable, and shown as a step only while it waits or when it fails.
   */
  prepare<T>(title: string, run: () => Promise<T>): Promise<T>;
  /** The approval request a job acts for, and what it records there (each record shows the card again). */
  readonly approvals: ApprovalNotes;
  /** How long Redis takes to answer this worker, in milliseconds. */
  redisRoundTripMs(): Promise<number>;
  /**
   * When an earlier attempt started this step and did not finish it (a crash, an error): the
   * time it started, so the step can find and undo what that attempt may have half done.
   */
  interruptedAt(step: StepSpec): number | undefined;
}

/** What a job reads of the approval request it acts for, and records on it for its card. */
export interface ApprovalNotes {
  get(approvalId: string): Promise<ApprovalRequest | undefined>;
  /** Fabric's commit readiness of a chaincode definition. */
  fabricReadiness(approvalId: string, readiness: Record<string, boolean>): Promise<void>;
  /** A channel update's plan; the first one recorded is kept and returned. */
  plan(approvalId: string, plan: ChannelPlan): Promise<ChannelPlan>;
  /** An org's signature of the plan; the first one recorded for the org is kept and returned. */
  signature(approvalId: string, signature: PlanSignature): Promise<PlanSignature>;
  /**
   * The orgs asked and how many must approve, as the plan's policy counts them; false once anyone
   * has voted. Not shown on its own: the plan recorded next shows it.
   */
  narrow(approvalId: string, orgs: string[], needed: number): Promise<boolean>;
}

/** What runs a job of kind K: its params arrive validated against the kind's schema. */
export type JobHandler<K extends JobKind> = (ctx: JobContext, params: ParamsOf<K>) => Promise<JobResult>;

/** A kind of job and what runs it (see handle). */
export interface JobEntry {
  readonly kind: JobKind;
  run(ctx: JobContext, params: unknown): Promise<JobResult>;
}

/** Pairs a kind with its handler; the worker validates params with the kind before calling it. */
export function handle<K extends JobKind>(kind: K, run: JobHandler<K>): JobEntry {
  // The params given here have passed kind.params (see handlerFor), so they are ParamsOf<K>.
  return { kind, run: (ctx, params) => run(ctx, params as ParamsOf<K>) };
}

export interface WorkerDeps {
  redis: Redis;
  /** The kinds of job this worker runs, each with its handler. */
  handlers: readonly JobEntry[];
  /** The networks whose queues this worker takes jobs from. */
  networks: readonly string[];
  reporter: JobReporter;
  audit: AuditLog;
  /** Where a job records what Fabric says of an approval it acts on (commit readiness). */
  approvals: Pick<Approvals, 'get' | 'setFabricReadiness' | 'setPlan' | 'addSignature' | 'narrow'>;
  platform: Platform;
  log: Logger;
  concurrency: number;
  lockMs: number;
  /** How long a step waits out an unavailable service before it fails (default 5 minutes). */
  outagePatienceMs?: number;
  /** Where a final status Slack did not take is kept for a later try (see UndeliveredStatuses). */
  undelivered?: { keep(jobId: string, network: string, message: StatusMessageRef | undefined): Promise<void> };
}

const CANCEL_POLL_MS = 1000;
const DEFAULT_OUTAGE_PATIENCE_MS = 5 * 60_000;
const OUTAGE_MAX_PAUSE_MS = 5000;

class JobRun implements JobContext {
  readonly controller = new AbortController();
  readonly progress: JobProgress;
  private message: StatusMessageRef | undefined;

  constructor(
    private readonly job: Job<JobData, JobResult>,
    private readonly deps: WorkerDeps,
    readonly log: Logger,
  ) {
    const saved = job.progress as Partial<JobProgress> | number | undefined;
    const steps = typeof saved === 'object' && saved !== null && Array.isArray(saved.steps) ? saved.steps : [];
    // A step left "running" by a crashed attempt will run again.
    this.progress = { steps: steps.filter((s) => s.state === 'done'), attempt: job.attemptsStarted };
    this.interrupted = new Map(steps.filter((s) => s.state !== 'done').map((s) => [s.key ?? s.name, s.startedAt]));
    this.message = job.data.statusMessage;
    this.quiet = deps.handlers.find((h) => h.kind.type === job.name)?.kind.showsOnCard === true;
  }

  private readonly interrupted: Map<string, number>;
  private readonly quiet: boolean;

  get id(): string {
    return this.job.id ?? '?';
  }

  interruptedAt(step: StepSpec): number | undefined {
    return this.interrupted.get(step.key) ?? this.interrupted.get(step.title);
  }
  get request(): JobRequest {
    return this.job.data;
  }
  get attempt(): number {
    return this.progress.attempt;
  }
  get queuedAt(): number {
    return this.job.timestamp;
  }
  get startedAt(): number {
    return this.job.processedOn ?? Date.now();
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  get platform(): Platform {
    return this.deps.platform;
  }

  async step<T extends JsonValue | void>(spec: StepSpec, run: (note: (detail: string) => Promise<void>) => Promise<T>): Promise<T> {
    // Records from before steps had keys are matched by their title.
    const same = (s: StepRecord): boolean => s.key === spec.key || (s.key === undefined && s.name === spec.title);
    const finished = this.progress.steps.find((s) => same(s) && s.state === 'done');
    if (finished !== undefined) return finished.result as T;
    await this.throwIfCancelled();
    const record: StepRecord = { key: spec.key, name: spec.title, state: 'running', startedAt: Date.now() };
    this.progress.steps = this.progress.steps.filter((s) => !same(s));
    this.progress.steps.push(record);
    await this.save();
    try {
      const waits = new Map<string, number>();
      const result = await this.waitingOutOutages(record, waits, () =>
        run(async (detail) => {
          record.detail = detail;
          await this.save();
        }),
      );
      record.state = 'done';
      record.endedAt = Date.now();
      if (result !== undefined) record.result = result as JsonValue;
      const waited = [...waits].map(([service, ms]) => `waited ${Math.round(ms / 1000)} s for ${service}`).join(', ');
      if (waited !== '') record.detail = record.detail === undefined ? waited : `${record.detail} (${waited})`;
      await this.save();
      return result;
    } catch (err) {
      return this.failed(record, err);
    }
  }

  async prepare<T>(title: string, run: () => Promise<T>): Promise<T> {
    await this.throwIfCancelled();
    const record: StepRecord = { key: `prepare:${title}`, name: title, state: 'running', startedAt: Date.now() };
    const waits = new Map<string, number>();
    this.progress.steps.push(record);
    try {
      const result = await this.waitingOutOutages(record, waits, run);
      this.progress.steps = this.progress.steps.filter((s) => s !== record);
      if (waits.size > 0) await this.save();
      return result;
    } catch (err) {
      return this.failed(record, err);
    }
  }

  /** Records why a step failed and rethrows; an abort caused by a cancellation becomes CancelledError. */
  private async failed(record: StepRecord, err: unknown): Promise<never> {
    record.state = 'failed';
    record.endedAt = Date.now();
    record.detail = errorMessage(err);
    await this.save();
    if (this.signal.aborted && !isCancelled(err)) {
      const by = await this.deps.redis.get(cancelKey(this.id));
      if (by !== null) throw new CancelledError(by);
    }
    throw err;
  }

  /**
   * Runs the step again while a service it needs is unavailable (steps are safe to repeat: a
   * crashed worker's steps are), showing the wait on the step, for up to deps.outagePatienceMs.
   */
  private async waitingOutOutages<T>(record: StepRecord, waits: Map<string, number>, attempt: () => Promise<T>): Promise<T> {
    const since = Date.now();
    try {
      return await retry(attempt, {
        retryIf: (err) => err instanceof ServiceUnavailableError,
        withinMs: this.deps.outagePatienceMs ?? DEFAULT_OUTAGE_PATIENCE_MS,
        delayMs: backoff(500, OUTAGE_MAX_PAUSE_MS),
        signal: this.signal,
        onRetry: async (err, tries, pause) => {
          const e = err as ServiceUnavailableError;
          this.log.warn({ service: e.service, detail: e.detail, tries }, 'a service is unavailable; the step will run again');
          record.detail = `waiting for ${e.service} (${e.detail}), ${Math.round((Date.now() - since) / 1000)} s so far`;
          waits.set(e.service, Date.now() + pause - since);
          await this.save();
        },
      });
    } catch (err) {
      if (!(err instanceof ServiceUnavailableError) || this.signal.aborted || waits.size === 0) throw err;
      throw new ServiceUnavailableError(err.service, `${err.detail}; gave up after waiting ${Math.round((Date.now() - since) / 1000)} s`, {
        cause: err,
      });
    }
  }

  readonly approvals: ApprovalNotes = {
    get: (approvalId) => this.deps.approvals.get(approvalId),
    fabricReadiness: (approvalId, readiness) => this.showingCard(approvalId, this.deps.approvals.setFabricReadiness(approvalId, readiness)),
    plan: (approvalId, plan) => this.showingCard(approvalId, this.deps.approvals.setPlan(approvalId, plan)),
    signature: (approvalId, signature) => this.showingCard(approvalId, this.deps.approvals.addSignature(approvalId, signature)),
    narrow: (approvalId, orgs, needed) => this.deps.approvals.narrow(approvalId, orgs, needed),
  };

  private async showingCard<T>(approvalId: string, recorded: Promise<T>): Promise<T> {
    const result = await recorded;
    try {
      await this.deps.reporter.approvalChanged?.(approvalId);
    } catch (err) {
      this.log.warn({ err, approvalId }, 'could not show the approval again');
    }
    return result;
  }

  async redisRoundTripMs(): Promise<number> {
    const t0 = performance.now();
    await this.deps.redis.ping();
    return Math.round((performance.now() - t0) * 100) / 100;
  }

  async throwIfCancelled(): Promise<void> {
    const by = await this.deps.redis.get(cancelKey(this.id));
    if (by !== null) throw new CancelledError(by);
  }

  /** Persist progress, then show it. */
  async save(view?: JobView, final = false): Promise<void> {
    await this.job.updateProgress(this.progress);
    await this.show(view ?? this.view('running'), final);
  }

  view(state: JobView['state'], extra: Partial<JobView> = {}): JobView {
    return { ...toView(this.job, 'active'), state, steps: this.progress.steps, attempt: this.progress.attempt, ...extra };
  }

  /** Views go out one after another; the job waits only for the final one (and those before it), not for Slack on each step. */
  private shown: Promise<void> = Promise.resolve();

  async show(view: JobView, final: boolean): Promise<void> {
    // A kind that serves an approval card shows there; a message of its own only says it failed.
    if (this.quiet && !(final && view.state === 'failed')) return;
    const publishing = this.shown.then(() => this.publish(view, final));
    this.shown = publishing;
    if (final) await publishing;
  }

  /** Never rejects: a view Slack did not take is logged, and a final one kept for a later try. */
  private async publish(view: JobView, final: boolean): Promise<void> {
    try {
      const ref = await this.deps.reporter.publish(view, this.message, final);
      if (ref !== undefined && (this.message === undefined || ref.ts !== this.message.ts)) {
        this.message = ref;
        await this.job.updateData({ ...this.job.data, statusMessage: ref });
      }
    } catch (err) {
      // Reporting must not fail the work itself. How the job ended must reach Slack: kept for later.
      this.log.warn({ err, jobId: this.id, final }, 'could not publish job status');
      if (final)
        await this.deps.undelivered
          ?.keep(this.id, this.job.data.network, this.message)
          .catch((keepErr: unknown) => this.log.error({ err: keepErr, jobId: this.id }, 'could not keep the undelivered final status'));
    }
  }
}

/** Runs one job: validates its data, then its handler, reporting every transition. */
async function processJob(deps: WorkerDeps, job: Job<JobData, JobResult>, bullSignal: AbortSignal | undefined): Promise<JobResult> {
  const log = deps.log.child({ jobId: job.id, jobType: job.name, network: job.data.network });
  const run = new JobRun(job, deps, log);
  const poll = setInterval(() => {
    void deps.redis.exists(cancelKey(run.id)).then(
      (n) => {
        if (n > 0) run.controller.abort(new Error('cancelled'));
      },
      () => undefined,
    );
  }, CANCEL_POLL_MS);
  const onBullAbort = (): void => run.controller.abort(new Error('worker shutting down'));
  bullSignal?.addEventListener('abort', onBullAbort);
  const started = Date.now();
  try {
    const handle = handlerFor(deps, job);
    log.info({ attempt: run.attempt }, 'job started');
    // One round trip: a job cancelled as it was picked up is recorded as started, then cancelled.
    await Promise.all([
      run.throwIfCancelled(),
      run.save(),
      deps.audit.append({
        actor: 'system',
        action: 'job.started',
        target: run.id,
        result: 'info',
        channel: job.data.channel,
        network: job.data.network,
        detail: `${job.name} attempt ${run.attempt}`,
      }),
    ]);
    const result = await handle(run);
    // The audit trail records the outcome before the channel is told of it.
    await deps.audit.append({
      actor: 'system',
      action: 'job.succeeded',
      target: run.id,
      result: 'ok',
      channel: job.data.channel,
      network: job.data.network,
      detail: result.summary,
    });
    await run.show(run.view('succeeded', { result, finishedAt: Date.now() }), true);
    jobsTotal.inc({ type: job.name, outcome: 'succeeded' });
    jobDuration.observe({ type: job.name, outcome: 'succeeded' }, (Date.now() - started) / 1000);
    return result;
  } catch (err) {
    const message = errorMessage(err);
    const willRetry = !isPermanent(err) && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    const outcome = isCancelled(err) ? 'cancelled' : willRetry ? 'retrying' : 'failed';
    // The message only (as the audit trail and Slack have it): an error's other fields may carry what a log must not.
    log.warn({ attempt: run.attempt, outcome, error: message }, 'job attempt did not succeed');
    await deps.audit.append({
      actor: 'system',
      action: `job.${outcome}`,
      target: run.id,
      result: outcome === 'retrying' ? 'info' : 'error',
      channel: job.data.channel,
      network: job.data.network,
      detail: message,
    });
    const requestAgain =
      outcome === 'failed' && (err instanceof RequestAgainError || (err instanceof Error && err.name === 'RequestAgainError'));
    await run.show(
      run.view(outcome, { error: message, finishedAt: willRetry ? undefined : Date.now(), ...(requestAgain ? { requestAgain } : {}) }),
      !willRetry,
    );
    jobsTotal.inc({ type: job.name, outcome: willRetry ? 'retried' : outcome });
    if (!willRetry) jobDuration.observe({ type: job.name, outcome }, (Date.now() - started) / 1000);
    throw err;
  } finally {
    clearInterval(poll);
    bullSignal?.removeEventListener('abort', onBullAbort);
  }
}

/**
 * The job's handler bound to its validated params. Data that does not fit the job type's schema
 * (written by hand, queued by another release) is refused before anything acts on it.
 */
function handlerFor(deps: WorkerDeps, job: Job<JobData, JobResult>): (ctx: JobContext) => Promise<JobResult> {
  const type = job.name;
  const entry = deps.handlers.find((h) => h.kind.type === type);
  if (entry === undefined) throw new PermanentError(`no handler for job type ${type}`);
  const envelope = envelopeProblem(job.data);
  if (envelope !== undefined) throw new PermanentError(`the job's data is not valid, so nothing was done: ${envelope}`);
  if (job.data.type !== type)
    throw new PermanentError(`the job's data is not valid, so nothing was done: type ${job.data.type} in a ${type} job`);
  const parsed = parseParams(entry.kind, job.data.params);
  if (!parsed.ok) throw new PermanentError(`the job's data is not valid, so nothing was done: ${parsed.problem}`);
  return (ctx) => entry.run(ctx, parsed.params);
}

export interface Workers {
  /** Jobs this process is running now. */
  active(): string[];
  /** Lets active jobs finish, then stops taking jobs. */
  close(): Promise<void>;
}

/** A BullMQ worker on each network's queue, each with its own `concurrency` slots. */
export function startWorkers(deps: WorkerDeps): Workers {
  const active = new Set<string>();
  const workers = deps.networks.map((network) => {
    const worker = new Worker<JobData, JobResult>(
      queueNameFor(network),
      async (job, _token, bullSignal) => {
        const id = job.id ?? '?';
        active.add(id);
        try {
          return await processJob(deps, job, bullSignal);
        } finally {
          active.delete(id);
        }
      },
      {
        connection: deps.redis,
        prefix: KEY_PREFIX,
        concurrency: deps.concurrency,
        lockDuration: deps.lockMs,
        stalledInterval: Math.max(1000, Math.floor(deps.lockMs / 2)),
        // A job whose worker died is taken up again; after 3 such losses it fails.
        maxStalledCount: 3,
      },
    );
    worker.on('error', (err) => deps.log.error({ err, network }, 'worker error'));
    return worker;
  });
  return {
    active: () => [...active],
    async close() {
      // With no job running, or Redis unreachable, there is nothing to wait for: BullMQ's graceful
      // close can then wait on its blocking connection for good (seen after a Redis restart).
      const force = active.size === 0 || deps.redis.status !== 'ready';
      if (!force) deps.log.info({ jobs: [...active] }, 'waiting for the active jobs to finish');
      await Promise.all(workers.map((w) => w.close(force)));
    },
  };
}
