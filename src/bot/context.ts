import type { WebClient } from '@slack/web-api';
import type { Config } from '../config/model.js';
import type { Approvals } from '../jobs/approvals.js';
import type { AuditEntry, AuditLog } from '../jobs/audit.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Platform } from '../jobs/services.js';
import type { Logger } from '../log.js';
import type { CommandSpec } from './commands/types.js';
import type { Membership } from './membership.js';

/** What every Slack handler works with. */
export interface BotContext {
  config: Config;
  jobs: JobQueue;
  audit: AuditLog;
  approvals: Approvals;
  platform: Platform;
  log: Logger;
  membership: Membership;
  client: WebClient;
  commandName: string;
  commands: readonly CommandSpec[];
}

/** Audit without letting a Redis hiccup break the user's answer. */
export function auditSafely(bot: Pick<BotContext, 'audit' | 'log'>, entry: AuditEntry): void {
  bot.audit.append(entry).catch((err: unknown) => bot.log.error({ err }, 'audit append failed'));
}
