import { createHash } from 'node:crypto';
import type { App, RespondArguments, RespondFn } from '@slack/bolt';
import { roleRank } from '../../config/model.js';
import { effectivePolicy } from '../../jobs/approval-policy.js';
import { errorMessage } from '../../jobs/errors.js';
import { isRedisUnavailable } from '../../jobs/redis.js';
import { scrubText } from '../../log.js';
import { commandsTotal } from '../../metrics.js';
import type { CommandContext, CommandSpec, Reply, Services } from '../commands/types.js';
import { auditSafely, type BotContext } from '../context.js';
import { parseCommand, type ParsedArgs } from '../grammar.js';
import { renderUsageError } from '../render/help.js';
import { section } from '../render/text.js';
import { retryingRespond } from '../respond.js';
import { submit } from '../submissions.js';

/** One id per Slack request; Slack's retries of the same request carry the same trigger_id. */
export function requestIdFor(teamId: string, triggerId: string): string {
  const id = createHash('sha256').update(`${teamId}:${triggerId}`).digest('hex').slice(0, 12);
  // BullMQ refuses a job id that is all digits (about 1 in 280 hashes).
  return /^\d+$/.test(id) ? `j${id.slice(1)}` : id;
}

export function toSlack(reply: Reply): RespondArguments {
  return { response_type: reply.visibility, text: reply.text, ...(reply.blocks !== undefined ? { blocks: reply.blocks } : {}) };
}

export const refusal = (text: string): Reply => ({ visibility: 'ephemeral', text, blocks: [section(`:no_entry: ${text}`)] });

/** Who may run the command here; undefined when allowed. */
function refuse(bot: BotContext, spec: CommandSpec, ctx: CommandContext): string | undefined {
  if (spec.access === 'anyone') return undefined;
  const name = `${bot.commandName} ${spec.path.join(' ')}`;
  if (ctx.network === undefined) {
    return `This channel is not bound to a Fabric network, so \`${name}\` cannot run here. An admin binds channels in the config (networks[].channels).`;
  }
  if (ctx.member === undefined) return `You are not a member of any organisation of network *${ctx.network.name}*.`;
  const { role } = effectivePolicy(bot.config, spec.path.join(' '), { role: spec.access }, ctx.network, ctx.member.org);
  if (roleRank[ctx.member.role] < roleRank[role]) {
    return `\`${name}\` needs the ${role} role; you are ${ctx.member.role} in ${ctx.member.org}.`;
  }
  return undefined;
}

export interface CommandOrigin {
  userId: string;
  channelId: string;
  requestId: string;
  text: string;
}

/** What a command runs with: who asked where, and how it submits work. */
export function commandContext(bot: BotContext, spec: CommandSpec, origin: CommandOrigin): CommandContext {
  const services: Services = { config: bot.config, jobs: bot.jobs, audit: bot.audit, approvals: bot.approvals, platform: bot.platform, commandName: bot.commandName, commands: bot.commands };
  const network = bot.membership.networkFor(origin.channelId);
  const ctx: CommandContext = {
    ...origin,
    network,
    services,
    submit: (type, params) =>
      submit(bot, {
        spec,
        requestId: origin.requestId,
        type,
        params,
        member: ctx.member,
        request: {
          requester: { userId: origin.userId, org: ctx.member?.org, role: ctx.member?.role },
          channel: origin.channelId,
          network: network?.name,
          command: `${bot.commandName} ${origin.text}`.trim(),
          requestedAt: Date.now(),
        },
      }),
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
  await runAfterAck(bot, parsed.command, commandContext(bot, parsed.command, origin), parsed.args, respond, undefined);
}

export function registerCommands(app: App, bot: BotContext): void {
  app.command(bot.commandName, async ({ command, ack, respond, context }) => {
    const parsed = parseCommand(bot.commands, command.text, bot.commandName);
    const where = { actor: command.user_id, channel: command.channel_id };
    if (!parsed.ok) {
      await ack(toSlack({ visibility: 'ephemeral', ...renderUsageError(parsed.problem, parsed.usage) }));
      commandsTotal.inc({ command: 'invalid', outcome: 'usage_error' });
      auditSafely(bot, { ...where, action: 'command', result: 'refused', detail: scrubText(`${command.text.slice(0, 200)}: ${parsed.problem}`) });
      return;
    }
    const spec = parsed.command;
    const ctx = commandContext(bot, spec, { userId: command.user_id, channelId: command.channel_id, requestId: requestIdFor(command.team_id, command.trigger_id), text: command.text });

    if (spec.instant === true && spec.access === 'anyone') {
      await ack(toSlack(await spec.run(ctx, parsed.args)));
      commandsTotal.inc({ command: spec.path.join(' '), outcome: 'ok' });
      return;
    }
    // Acknowledge first: everything below may wait on Redis, Slack, Kubernetes or Fabric.
    await ack();
    await runAfterAck(bot, spec, ctx, parsed.args, retryingRespond(respond, bot.log), context.retryNum);
  });
}

async function runAfterAck(bot: BotContext, spec: CommandSpec, ctx: CommandContext, args: ParsedArgs, respond: RespondFn, retryNum: number | undefined): Promise<void> {
  const name = spec.path.join(' ');
  const base = { actor: ctx.userId, channel: ctx.channelId, network: ctx.network?.name, action: `command ${name}` };
  try {
    if (ctx.network !== undefined) ctx.member = await bot.membership.memberOf(ctx.userId, ctx.network.name);
    const refused = refuse(bot, spec, ctx);
    if (refused !== undefined) {
      commandsTotal.inc({ command: name, outcome: 'refused' });
      auditSafely(bot, { ...base, result: 'refused', detail: refused });
      await respond(toSlack(refusal(refused)));
      return;
    }
    const reply = await spec.run(ctx, args);
    commandsTotal.inc({ command: name, outcome: 'ok' });
    auditSafely(bot, { ...base, result: 'ok', target: ctx.requestId, detail: scrubText(ctx.text.slice(0, 200)) + (retryNum !== undefined ? ` (Slack retry ${retryNum})` : '') });
    await respond(toSlack(reply));
  } catch (err) {
    commandsTotal.inc({ command: name, outcome: 'error' });
    if (isRedisUnavailable(err)) {
      bot.log.error({ err, command: name }, 'command not queued: Redis unreachable');
      await respond(toSlack(refusal(`\`${bot.commandName} ${ctx.text}\` was not queued: the bot cannot reach Redis right now. Nothing was changed; try again in a minute.`))).catch(() => undefined);
      return;
    }
    bot.log.error({ err, command: name }, 'command failed');
    auditSafely(bot, { ...base, result: 'error', detail: errorMessage(err) });
    await respond(toSlack(refusal(`\`${bot.commandName} ${name}\` failed: ${errorMessage(err)}`))).catch(() => undefined);
  }
}
