import { Redis, type RedisOptions } from 'ioredis';

/** Key prefix for everything the bot keeps in Redis, BullMQ queues included. */
export const KEY_PREFIX = 'fco';

/**
 * Workers block on Redis and must never give up a command (BullMQ requires
 * maxRetriesPerRequest: null); producers fail fast so the Slack edge can answer.
 */
export function connectRedis(url: string, purpose: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: purpose === 'worker' ? null : 2,
    enableOfflineQueue: purpose === 'worker',
    connectionName: `fabric-chatops:${purpose}`,
    lazyConnect: false,
    ...extra,
  });
}

/** True when `err` says Redis could not be reached (as opposed to a command Redis refused). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return /Stream isn't writeable|Connection is closed|enableOfflineQueue/.test(err.message);
}
