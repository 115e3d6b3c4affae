import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';

/** Key prefix for everything the bot keeps in Redis, BullMQ queues included. */
export const KEY_PREFIX = 'fco';

/**
 * Where Redis is and how to prove who we are: `redis://[user:password@]host:port[/db]`, or
 * `rediss://` for TLS; `password` (REDIS_PASSWORD) overrides the URL's, `caFile` (REDIS_CA_FILE)
 * is the CA the server's certificate must chain to.
 */
export interface RedisAccess {
  url: string;
  password?: string;
  caFile?: string;
}

/** ioredis options for the access: credentials, and TLS that verifies the server. */
export function redisOptions(access: RedisAccess): RedisOptions {
  const tls = access.url.startsWith('rediss:');
  return {
    ...(access.password === undefined ? {} : { password: access.password }),
    ...(tls ? { tls: { ...(access.caFile === undefined ? {} : { ca: readFileSync(access.caFile) }), rejectUnauthorized: true } } : {}),
  };
}

/**
 * Workers block on Redis and must never give up a command (BullMQ requires
 * maxRetriesPerRequest: null); producers fail fast so the Slack edge can answer.
 */
export function connectRedis(access: RedisAccess | string, purpose: 'worker' | 'producer' | 'events', extra: RedisOptions = {}): Redis {
  const a = typeof access === 'string' ? { url: access } : access;
  return new Redis(a.url, {
    ...redisOptions(a),
    maxRetriesPerRequest: purpose === 'producer' ? 2 : null,
    enableOfflineQueue: purpose !== 'producer',
    connectionName: `fabric-chatops:${purpose}`,
    lazyConnect: false,
    ...extra,
  });
}

/** True when Redis refused us for who we are (no or wrong password, an ACL user without rights). */
export function isRedisAuthError(err: unknown): boolean {
  return err instanceof Error && /NOAUTH|WRONGPASS|NOPERM|invalid password|invalid username-password/i.test(err.message);
}

/** True when `err` says Redis could not be reached (as opposed to a command Redis refused). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return /Stream isn't writeable|Connection is closed|enableOfflineQueue/.test(err.message);
}
