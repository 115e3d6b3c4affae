import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis.js';
import type { JobData, JobProgress, JobRequest, JobResult, JobState, JobView } from './types.js';

export const QUEUE_NAME = 'ops';

export interface QueueSettings {
  attempts: number;
  backoffMs: number;
}

export type CancelOutcome = 'removed' | 'cancelling' | 'not-found' | 'already-finished';

const CLAIM_TTL_SEC = 7 * 24 * 3600;
const enqueueClaimKey = (jobId: string): string => `${KEY_PREFIX}:enqueued:${jobId}`;
export const cancelKey = (jobId: string): string => `${KEY_PREFIX}:cancel:${jobId}`;

/** The producer side: enqueue requests, look jobs up, cancel them. */
export class JobQueue {
  readonly queue: Queue<JobData, JobResult>;

  constructor(
    private readonly redis: Redis,
    private readonly settings: QueueSettings,
  ) {
    this.queue = new Queue<JobData, JobResult>(QUEUE_NAME, { connection: redis, prefix: KEY_PREFIX });
    // Connection errors are logged once by the connection's owner; unheard, BullMQ prints them raw.
    this.queue.on('error', () => undefined);
  }

  /**
   * Idempotent on `id`: a second request with the same id (Slack retrying a delivery,
   * a double click) returns the existing job instead of making another.
   */
  async enqueue(id: string, request: JobRequest): Promise<{ id: string; created: boolean }> {
    const existing = await this.queue.getJob(id);
    if (existing !== undefined) return { id, created: false };
    const opts: JobsOptions = {
      jobId: id,
      attempts: this.settings.attempts,
      backoff: { type: 'exponential', delay: this.settings.backoffMs },
      removeOnComplete: { age: 7 * 24 * 3600, count: 5000 },
      removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
    };
    // Two deliveries of one request can both get past the lookup above. BullMQ keeps one job per
    // id; the claim decides which delivery reports "queued", and it is taken after the add so a
    // crash between the two cannot lose the job.
    await this.queue.add(request.type, request, opts);
    const claimed = await this.redis.set(enqueueClaimKey(id), '1', 'EX', CLAIM_TTL_SEC, 'NX');
    return { id, created: claimed === 'OK' };
  }

  async get(id: string): Promise<JobView | undefined> {
    const job = await this.queue.getJob(id);
    if (job === undefined) return undefined;
    return toView(job, await job.getState());
  }

  /** Newest first. */
  async list(limit: number): Promise<JobView[]> {
    const states = ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'] as const;
    const jobs = await this.queue.getJobs([...states], 0, Math.max(limit * 2, 20), false);
    const views = await Promise.all(jobs.filter((j): j is Job<JobData, JobResult> => j !== undefined).map(async (j) => toView(j, await j.getState())));
    return views.sort((a, b) => b.queuedAt - a.queuedAt).slice(0, limit);
  }

  async cancel(id: string, by: string): Promise<CancelOutcome> {
    const job = await this.queue.getJob(id);
    if (job === undefined) return 'not-found';
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

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('active', 'waiting', 'delayed', 'completed', 'failed');
  }

  async close(): Promise<void> {
    await this.queue.close();
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
