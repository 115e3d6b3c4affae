import type { App, RespondArguments, RespondFn } from '@slack/bolt';
import { errorMessage } from '../../jobs/engine/errors.js';
import { jobIdFor } from '../../jobs/engine/queue.js';
import { isRedisUnavailable } from '../../jobs/engine/redis.js';
import { QueryError } from '../../jobs/services/query-bus.js';
import { scrubText } from '../../log.js';
import { commandsTotal } from '../../metrics.js';
import { authorize } from '../authorize.js';
import type { CommandContext, CommandSpec, Reply } from '../commands/types.js';
import { auditOutsider, auditSafely, type BotContext } from '../context.js';
import { parseCommand, type ParsedArgs } from '../grammar.js';
import { renderUsageError } from '../render/help.js';
import { section, slackText } from '../render/text.js';
import { retryingRespond } from '../respond.js';
import { submit } from '../submissions.js';

/** One id per Slack request; Slack's retries of the same request carry the same trigger_id. */
export function requestIdFor(teamId: string, triggerId: string): string {
  return jobIdFor(`${teamId}:${triggerId}`);
}

export function toSlack(reply: Reply): RespondArguments {
  return { response_type: reply.visibility, text: slackText(reply.text), ...(reply.blocks !== undefined ? { blocks: reply.blocks } : {}) };
}

export const refusal = (text: string): Reply => ({ visibility: 'ephemeral', text, blocks: [section(`:no_entry: ${text}`)] });

export interface CommandOrigin {
  userId: string;
  channelId: string;
  requestId: string;
  text: string;
}

/** What a command runs with: who asked where, and how it submits work. */
export function commandContext(bot: BotContext, origin: CommandOrigin): CommandContext {
  const network = bot.membership.networkFor(origin.channelId);
  const ctx: CommandContext = {
    ...origin,
    network,
    services: bot,
    submit: (kind, params) => {
      if (network === undefined || ctx.member === undefined || ctx.policy === undefined) throw new Error('submit before authorisation');
      return submit(bot, {
        requestId: origin.requestId,
        kind,
        params,
        policy: ctx.policy,
        member: ctx.member,
        request: {
          requester: { userId: origin.userId, org: ctx.member.org, role: ctx.member.role },
          channel: origin.channelId,
          network: network.name,
          ...(ctx.targetOrg === undefined ? {} : { targetOrg: ctx.targetOrg }),
          command: `${bot.commandName} ${origin.text}`.trim(),
          requestedAt: Date.now(),
        },
      });
    },
  };
  return ctx;
}

/** Runs command text for a person, as if typed (buttons that stand for a command use this). */
export async function runCommandText(bot: BotContext, origin: CommandOrigin, respond: RespondFn): Promise<void> {
  const parsed = parseCommand(bot.commands, origin.text, bot.commandName);
  if (!parsed.ok) {
    await respond(toSlack({ visibility: 'ephemeral', ...renderUsageError(parsed.problem, parsed.usage) }));
    return;
  }
  await runAfterAck(bot, parsed.command, commandContext(bot, origin), parsed.args, respond, undefined);
}

export function registerCommands(app: App, bot: BotContext): void {
  app.command(bot.commandName, async ({ command, ack, respond, context }) => {
    const parsed = parseCommand(bot.commands, command.text, bot.commandName);
    const where = { actor: command.user_id, channel: command.channel_id };
    if (!parsed.ok) {
      await ack(toSlack({ visibility: 'ephemeral', ...renderUsageError(parsed.problem, parsed.usage) }));
      commandsTotal.inc({ command: 'invalid', outcome: 'usage_error' });
      const network = bot.membership.networkFor(command.channel_id)?.name;
      const entry = {
        ...where,
        network,
        action: 'command',
        result: 'refused' as const,
        detail: scrubText(`${command.text.slice(0, 200)}: ${parsed.problem}`),
      };
      if (network === undefined) auditOutsider(bot, entry);
      else auditSafely(bot, entry);
      return;
    }
    const spec = parsed.command;
    const ctx = commandContext(bot, {
      userId: command.user_id,
      channelId: command.channel_id,
      requestId: requestIdFor(command.team_id, command.trigger_id),
      text: command.text,
    });

    if (spec.instant === true && spec.access === 'anyone') {
      await ack(toSlack(await spec.run(ctx, parsed.args)));
      commandsTotal.inc({ command: spec.path.join(' '), outcome: 'ok' });
      return;
    }
    // Acknowledge first: everything below may wait on Redis, Slack or a worker.
    await ack();
    await runAfterAck(bot, spec, ctx, parsed.args, retryingRespond(respond, bot.log), context.retryNum);
  });
}

async function runAfterAck(
  bot: BotContext,
  spec: CommandSpec,
  ctx: CommandContext,
  args: ParsedArgs,
  respond: RespondFn,
  retryNum: number | undefined,
): Promise<void> {
  const name = spec.path.join(' ');
  const base = { actor: ctx.userId, channel: ctx.channelId, network: ctx.network?.name, action: `command ${name}` };
  try {
    const decision = await authorize(bot, spec, ctx, args);
    if (!decision.ok) {
      commandsTotal.inc({ command: name, outcome: 'refused' });
      const entry = { ...base, result: 'refused' as const, detail: decision.reason };
      if (decision.outsider) auditOutsider(bot, entry);
      else auditSafely(bot, entry);
      await respond(toSlack(refusal(decision.reason)));
      return;
    }
    ctx.member = decision.member;
    ctx.targetOrg = decision.targetOrg;
    ctx.policy = decision.policy;
    const reply = await spec.run(ctx, args);
    commandsTotal.inc({ command: name, outcome: 'ok' });
    auditSafely(bot, {
      ...base,
      result: 'ok',
      target: ctx.requestId,
      detail: scrubText(ctx.text.slice(0, 200)) + (retryNum !== undefined ? ` (Slack retry ${retryNum})` : ''),
    });
    await respond(toSlack(reply));
  } catch (err) {
    commandsTotal.inc({ command: name, outcome: 'error' });
    if (isRedisUnavailable(err)) {
      bot.log.error({ err, command: name }, 'command not queued: Redis unreachable');
      await respond(
        toSlack(
          refusal(
            `\`${bot.commandName} ${ctx.text}\` was not queued: the bot cannot reach Redis right now. ` +
              'Nothing was changed; try again in a minute.',
          ),
        ),
      ).catch(() => undefined);
      return;
    }
    // A worker's answer to a read (no such pod, Kubernetes not configured) is expected, not a bug.
    if (err instanceof QueryError) bot.log.warn({ err: err.message, command: name }, "command answered with a worker's refusal");
    else bot.log.error({ err, command: name }, 'command failed');
    auditSafely(bot, { ...base, result: 'error', detail: errorMessage(err) });
    await respond(toSlack(refusal(`\`${bot.commandName} ${name}\` failed: ${errorMessage(err)}`))).catch(() => undefined);
  }
}
