import { createHash } from 'node:crypto';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis.js';
import type { JobData, JobProgress, JobRequest, JobResult, JobState, JobView } from './types.js';

/** A job id derived from `seed` (stable: the same seed gives the same job, so at most one). */
export function jobIdFor(seed: string): string {
  const id = createHash('sha256').update(seed).digest('hex').slice(0, 12);
  // BullMQ refuses a job id that is all digits (about 1 in 280 hashes).
  return /^\d+$/.test(id) ? `j${id.slice(1)}` : id;
}

/** Each network has its own queue, so one tenant's backlog never waits in front of another's. */
export const queueNameFor = (network: string): string => `ops-${network}`;

export interface QueueSettings {
  attempts: number;
  backoffMs: number;
}

export type CancelOutcome = 'removed' | 'cancelling' | 'not-found' | 'already-finished';

/** As long as a job is kept (a failed one: 30 days), so a job that exists has its claim. */
const CLAIM_TTL_SEC = 30 * 24 * 3600;
const enqueueClaimKey = (jobId: string): string => `${KEY_PREFIX}:enqueued:${jobId}`;
export const cancelKey = (jobId: string): string => `${KEY_PREFIX}:cancel:${jobId}`;

/**
 * The producer side: enqueue requests, look jobs up, cancel them. Every lookup names the network
 * it is made from, and sees that network's jobs only.
 */
export class JobQueue {
  private readonly queues = new Map<string, Queue<JobData, JobResult>>();

  constructor(
    private readonly redis: Redis,
    private readonly settings: QueueSettings,
  ) {}

  /** The queue of one network's jobs (made on first use). */
  queueFor(network: string): Queue<JobData, JobResult> {
    let queue = this.queues.get(network);
    if (queue === undefined) {
      queue = new Queue<JobData, JobResult>(queueNameFor(network), { connection: this.redis, prefix: KEY_PREFIX });
      // Connection errors are logged once by the connection's owner; unheard, BullMQ prints them raw.
      queue.on('error', () => undefined);
      this.queues.set(network, queue);
    }
    return queue;
  }

  /**
   * Idempotent on `id`: a second request with the same id (Slack retrying a delivery,
   * a double click) returns the existing job instead of making another.
   */
  async enqueue(id: string, request: JobRequest): Promise<{ id: string; created: boolean }> {
    const queue = this.queueFor(request.network);
    const opts: JobsOptions = {
      jobId: id,
      attempts: this.settings.attempts,
      backoff: { type: 'exponential', delay: this.settings.backoffMs },
      removeOnComplete: { age: 7 * 24 * 3600, count: 5000 },
      removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
    };
    // BullMQ keeps one job per id (adding an id it holds changes nothing); the claim decides which
    // delivery reports "queued", and it is taken after the add so a crash between the two cannot
    // lose the job: the next delivery then finds it unclaimed and reports it queued.
    await queue.add(request.type, request, opts);
    const claimed = await this.redis.set(enqueueClaimKey(id), '1', 'EX', CLAIM_TTL_SEC, 'NX');
    return { id, created: claimed === 'OK' };
  }

  /** The job, if it is one of `network`'s; another network's job is as unknown as no job. */
  async get(id: string, network: string): Promise<JobView | undefined> {
    const job = await this.queueFor(network).getJob(id);
    if (job === undefined || job.data.network !== network) return undefined;
    return toView(job, await job.getState());
  }

  /** Newest first, of one network. */
  async list(limit: number, network: string): Promise<JobView[]> {
    const states = ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'] as const;
    const jobs = await this.queueFor(network).getJobs([...states], 0, Math.max(limit * 2, 20), false);
    const views = await Promise.all(
      jobs.filter((j): j is Job<JobData, JobResult> => j !== undefined).map(async (j) => toView(j, await j.getState())),
    );
    return views.sort((a, b) => b.queuedAt - a.queuedAt).slice(0, limit);
  }

  async cancel(id: string, by: string, network: string): Promise<CancelOutcome> {
    const job = await this.queueFor(network).getJob(id);
    if (job === undefined || job.data.network !== network) return 'not-found';
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'already-finished';
    // The flag is read by the worker between steps; it also covers a job taken up right now.
    await this.redis.set(cancelKey(id), by, 'EX', 24 * 3600);
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      try {
        await job.remove();
        return 'removed';
      } catch {
        return 'cancelling'; // a worker locked it between getState and remove
      }
    }
    return 'cancelling';
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

export function toView(job: Job<JobData, JobResult>, bullState: string): JobView {
  const progress = (typeof job.progress === 'object' && job.progress !== null ? job.progress : { steps: [], attempt: 0 }) as JobProgress;
  const failedReason = job.failedReason as string | undefined;
  let state: JobState;
  switch (bullState) {
    case 'active':
      state = 'running';
      break;
    case 'completed':
      state = 'succeeded';
      break;
    case 'failed':
      state = failedReason?.startsWith('cancelled') === true ? 'cancelled' : 'failed';
      break;
    case 'delayed':
      state = job.attemptsMade > 0 ? 'retrying' : 'queued';
      break;
    default:
      state = 'queued';
  }
  return {
    id: job.id ?? '?',
    type: job.name,
    command: job.data.command,
    requester: job.data.requester,
    ...(job.data.targetOrg === undefined ? {} : { targetOrg: job.data.targetOrg }),
    channel: job.data.channel,
    network: job.data.network,
    state,
    steps: progress.steps ?? [],
    attempt: Math.max(progress.attempt ?? 0, job.attemptsStarted ?? 0),
    maxAttempts: job.opts.attempts ?? 1,
    queuedAt: job.timestamp,
    startedAt: job.processedOn,
    finishedAt: job.finishedOn,
    result: job.returnvalue ?? undefined,
    error: failedReason,
    nextAttemptAt: state === 'retrying' ? job.timestamp + (job.delay ?? 0) : undefined,
  };
}
