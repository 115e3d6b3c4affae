import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { errorMessage } from '../engine/errors.js';
import type { QueryHandlers, QueryName, QueryParams, QueryResult } from './queries.js';
import { KEY_PREFIX } from '../engine/redis.js';
import type { Platform } from './platform.js';

/**
 * Reads the Slack edge asks of the workers and waits for: a short-lived BullMQ job on its own
 * queue, answered by whichever worker takes it, its result (plain data, no secrets) read back
 * from the job's completion. Ops jobs never wait in front of a query: it has its own worker slots.
 */
const QUERY_QUEUE = 'queries';
const KEEP_SEC = 60;

interface QueryJob {
  name: QueryName;
  network: string;
  params: unknown;
}

/** A read a worker refused or failed (no such pod, Kubernetes not configured); its message says why. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}

/** No worker answered in time: none running, or all of them unreachable. */
export class QueryTimeoutError extends QueryError {}

export class QueryClient {
  private readonly queue: Queue<QueryJob>;
  private readonly events: QueueEvents;

  /** `events`: a connection of its own, which the client blocks on while it waits. */
  constructor(
    redis: Redis,
    events: Redis,
    private readonly timeoutMs: number,
  ) {
    this.queue = new Queue<QueryJob>(QUERY_QUEUE, { connection: redis, prefix: KEY_PREFIX, streams: { events: { maxLen: 1000 } } });
    this.queue.on('error', () => undefined);
    this.events = new QueueEvents(QUERY_QUEUE, { connection: events, prefix: KEY_PREFIX });
    this.events.on('error', () => undefined);
  }

  async ask<K extends QueryName>(name: K, network: string, params: QueryParams<K>): Promise<QueryResult<K>> {
    const job = await this.queue.add(
      name,
      { name, network, params },
      { jobId: randomUUID(), attempts: 1, removeOnComplete: { age: KEEP_SEC }, removeOnFail: { age: KEEP_SEC } },
    );
    try {
      return (await job.waitUntilFinished(this.events, this.timeoutMs)) as QueryResult<K>;
    } catch (err) {
      const message = errorMessage(err);
      if (/timed out before finishing/.test(message)) {
        await job.remove().catch(() => undefined); // not taken up yet: nobody should run it late
        throw new QueryTimeoutError(`no worker answered within ${Math.round(this.timeoutMs / 1000)} s (are the workers running?)`);
      }
      throw new QueryError(message);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.events.close(), this.queue.close()]);
  }
}

/** The worker side: answers queries with the handlers, as many at once as `concurrency`. */
export function startQueryWorker(deps: {
  redis: Redis;
  platform: Platform;
  /** The handlers, or how to load them on the first query (they bring the Kubernetes and Fabric clients). */
  handlers: QueryHandlers | (() => Promise<QueryHandlers>);
  log: Logger;
  concurrency: number;
}): Worker<QueryJob> {
  const { handlers } = deps;
  let loaded: Promise<QueryHandlers> | undefined;
  const loadHandlers = (): Promise<QueryHandlers> => (loaded ??= typeof handlers === 'function' ? handlers() : Promise.resolve(handlers));
  const worker = new Worker<QueryJob>(
    QUERY_QUEUE,
    async (job) => {
      const { name, network, params } = job.data;
      const handler = (await loadHandlers())[name] as ((p: Platform, n: string, q: unknown) => Promise<unknown>) | undefined;
      if (handler === undefined) throw new Error(`no query ${name}`);
      return handler(deps.platform, network, params);
    },
    { connection: deps.redis, prefix: KEY_PREFIX, concurrency: deps.concurrency },
  );
  worker.on('error', (err) => deps.log.error({ err }, 'query worker error'));
  worker.on('failed', (job, err) => deps.log.info({ query: job?.name, err: err.message }, 'query answered with an error'));
  return worker;
}
