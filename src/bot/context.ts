import type { AuditEntry } from '../jobs/services/audit.js';
import type { BotContext } from './types.js';

export type { BotContext, Queries } from './types.js';

/** Audit without letting a Redis hiccup break the user's answer. */
export function auditSafely(bot: Pick<BotContext, 'audit' | 'log'>, entry: AuditEntry): void {
  bot.audit.append(entry).catch((err: unknown) => bot.log.error({ err }, 'audit append failed'));
}

/** A refusal of someone outside every network (unbound channel, non-member): audited at a limited rate. */
export function auditOutsider(bot: Pick<BotContext, 'audit' | 'log'>, entry: AuditEntry): void {
  bot.audit.appendOutsider(entry).catch((err: unknown) => bot.log.error({ err }, 'audit append failed'));
}
