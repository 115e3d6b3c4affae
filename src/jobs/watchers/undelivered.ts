import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import type { JobQueue } from '../engine/queue.js';
import { KEY_PREFIX } from '../engine/redis.js';
import type { JobReporter, StatusMessageRef } from '../engine/types.js';

const KEY = `${KEY_PREFIX}:status:undelivered`;
const LOCK = `${KEY}:sweeping`;
/** Deletes the lock only if it is still this sweep's. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/**
 * How jobs ended that Slack has not been told: a final status the reporter could not deliver
 * (Slack refusing for longer than the client retries) is kept in Redis by job id, and workers
 * try again every `intervalMs` until Slack takes it. Only ids and the message reference are
 * kept; the status is rendered anew from the job each time.
 */
export class UndeliveredStatuses {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly jobs: Pick<JobQueue, 'get'>,
    private readonly reporter: JobReporter,
    private readonly log: Logger,
  ) {}

  /** Remembers that the job's final status has not reached Slack (`message`: where it lives, if posted). */
  async keep(jobId: string, network: string, message: StatusMessageRef | undefined): Promise<void> {
    await this.redis.hset(KEY, jobId, JSON.stringify({ network, message: message ?? null }));
  }

  /** Tries each kept status once; returns how many Slack took. One worker sweeps at a time. */
  async sweep(lockMs = 10 * 60_000): Promise<number> {
    const token = randomUUID();
    if ((await this.redis.set(LOCK, token, 'PX', lockMs, 'NX')) === null) return 0;
    let delivered = 0;
    try {
      for (const [jobId, raw] of Object.entries(await this.redis.hgetall(KEY))) {
        const kept = JSON.parse(raw) as { network: string; message: StatusMessageRef | null };
        const view = await this.jobs.get(jobId, kept.network);
        if (view === undefined) {
          await this.redis.hdel(KEY, jobId); // removed from the queue since: nothing left to show
          continue;
        }
        if (view.state !== 'succeeded' && view.state !== 'failed' && view.state !== 'cancelled') continue; // not recorded as ended yet
        try {
          await this.reporter.publish(view, kept.message ?? undefined, true);
        } catch (err) {
          this.log.warn({ err, jobId }, 'final status still not delivered; will try again');
          continue;
        }
        await this.redis.hdel(KEY, jobId);
        delivered++;
        this.log.info({ jobId }, 'final status delivered late');
      }
    } finally {
      await this.redis.eval(RELEASE, 1, LOCK, token);
    }
    return delivered;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.log.warn({ err }, 'could not look for undelivered statuses'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
