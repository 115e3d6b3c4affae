import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis.js';

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
const MAX_ENTRIES = 100_000;

/** An append-only trail of commands, decisions and job transitions in a Redis stream. */
export class AuditLog {
  constructor(private readonly redis: Redis) {}

  async append(entry: AuditEntry): Promise<string> {
    const fields: string[] = ['at', String(Date.now())];
    for (const [k, v] of Object.entries(entry)) {
      if (v !== undefined) fields.push(k, String(v));
    }
    const id = await this.redis.xadd(STREAM, 'MAXLEN', '~', String(MAX_ENTRIES), '*', ...fields);
    return id ?? '';
  }

  async latest(count: number): Promise<AuditRecord[]> {
    const rows = await this.redis.xrevrange(STREAM, '+', '-', 'COUNT', count);
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
