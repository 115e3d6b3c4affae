import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../engine/redis.js';

export interface AuditEntry {
  /** Slack user id, or "system" for the workers' own transitions. */
  actor: string;
  action: string;
  result: 'ok' | 'refused' | 'error' | 'info';
  channel?: string;
  network?: string;
  target?: string;
  detail?: string;
}

export interface AuditRecord extends AuditEntry {
  id: string;
  at: number;
}

const STREAM = `${KEY_PREFIX}:audit`;
/** One network's entries, which are the only ones its members see. */
const networkStream = (network: string): string => `${KEY_PREFIX}:audit:net:${network}`;
const MAX_ENTRIES = 100_000;
const DAY_MS = 86_400_000;

export interface AuditOptions {
  /** Entries older than this many days are trimmed. */
  retainDays?: number;
  /** Refusals of people outside any network (appendOutsider) recorded per person and minute. */
  refusalsPerMinute?: number;
}

/**
 * An append-only trail of commands, decisions and job transitions in Redis streams: one for the
 * whole deployment, and one per network (what `/fabric audit` shows there). Trimmed by age, and
 * by count as a backstop.
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly opts: AuditOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  async append(entry: AuditEntry): Promise<string> {
    const at = this.now();
    const fields: string[] = ['at', String(at)];
    for (const [k, v] of Object.entries(entry)) {
      if (v !== undefined) fields.push(k, String(v));
    }
    const oldest = `${at - (this.opts.retainDays ?? 90) * DAY_MS}-0`;
    const streams = [STREAM, ...(entry.network === undefined ? [] : [networkStream(entry.network)])];
    const tx = this.redis.multi();
    for (const stream of streams) tx.xadd(stream, 'MINID', '~', oldest, '*', ...fields).xtrim(stream, 'MAXLEN', '~', MAX_ENTRIES);
    const results = await tx.exec();
    const id = results?.[0]?.[1];
    return typeof id === 'string' ? id : '';
  }

  /**
   * A refusal of someone the bot does not know (an unbound channel, a non-member): recorded at a
   * limited rate per person, so a flood of them cannot fill the trail. Returns whether it was.
   */
  async appendOutsider(entry: AuditEntry): Promise<boolean> {
    const key = `${KEY_PREFIX}:audit:outsiders:${entry.actor}:${Math.floor(this.now() / 60_000)}`;
    const [[, n] = [null, 0]] = ((await this.redis.multi().incr(key).expire(key, 120).exec()) ?? []) as [Error | null, number][];
    if (n > (this.opts.refusalsPerMinute ?? 10)) return false;
    await this.append(entry);
    return true;
  }

  /** The newest entries, of one network when given. */
  async latest(count: number, network?: string): Promise<AuditRecord[]> {
    const rows = await this.redis.xrevrange(network === undefined ? STREAM : networkStream(network), '+', '-', 'COUNT', count);
    return rows.map(([id, flat]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
      return {
        id,
        at: Number(f.at),
        actor: f.actor ?? '?',
        action: f.action ?? '?',
        result: (f.result ?? 'info') as AuditRecord['result'],
        channel: f.channel,
        network: f.network,
        target: f.target,
        detail: f.detail,
      };
    });
  }
}
