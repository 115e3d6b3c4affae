import type { WebClient } from '@slack/web-api';
import type { Config } from '../config/model.js';
import type { Approvals } from '../jobs/approvals.js';
import type { AuditEntry, AuditLog } from '../jobs/audit.js';
import type { QueryName, QueryParams, QueryResult } from '../jobs/queries.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import type { CommandSpec } from './commands/types.js';
import type { Membership } from './membership.js';

/** Asks a worker for a read that needs keys or Secrets (see jobs/query-bus.ts). */
export interface Queries {
  ask<K extends QueryName>(name: K, network: string, params: QueryParams<K>): Promise<QueryResult<K>>;
}

/**
 * Everything the Slack edge works with, in one bag: handlers, commands and buttons all get it.
 * It holds no Kubernetes client and no key: reads that need them are asked of the workers.
 */
export interface BotContext {
  config: Config;
  jobs: JobQueue;
  audit: AuditLog;
  approvals: Approvals;
  queries: Queries;
  log: Logger;
  membership: Membership;
  client: WebClient;
  /** The slash command as configured, e.g. "/fabric". */
  commandName: string;
  /** The declared commands, for parsing and help. */
  commands: readonly CommandSpec[];
}

/** Audit without letting a Redis hiccup break the user's answer. */
export function auditSafely(bot: Pick<BotContext, 'audit' | 'log'>, entry: AuditEntry): void {
  bot.audit.append(entry).catch((err: unknown) => bot.log.error({ err }, 'audit append failed'));
}

/** A refusal of someone outside every network (unbound channel, non-member): audited at a limited rate. */
export function auditOutsider(bot: Pick<BotContext, 'audit' | 'log'>, entry: AuditEntry): void {
  bot.audit.appendOutsider(entry).catch((err: unknown) => bot.log.error({ err }, 'audit append failed'));
}
