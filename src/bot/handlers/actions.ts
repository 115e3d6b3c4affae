import type { App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { roleRank } from '../../config/model.js';
import { checkVoter } from '../../jobs/approval-policy.js';
import { createHash } from 'node:crypto';
import type { ApprovalRequest, Decision } from '../../jobs/approvals.js';
import { auditSafely, type BotContext } from '../context.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../render/approval.js';
import { RENEW_CERT_ACTION, RESTART_POD_ACTION, SHOW_LOGS_ACTION } from '../render/alert.js';
import { CANCEL_ACTION } from '../render/job-status.js';
import { requestIdFor, runCommandText } from './commands.js';
import { retryingRespond } from '../respond.js';
import { enqueueApproved, refreshCard } from '../submissions.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

const HANDLED_ACTIONS = new Set([SHOW_LOGS_ACTION, RESTART_POD_ACTION, RENEW_CERT_ACTION, CANCEL_ACTION, APPROVE_ACTION, REJECT_ACTION]);

export function registerActions(app: App, bot: BotContext): void {
  const tell = (respond: ButtonArgs['respond'], text: string): Promise<unknown> =>
    retryingRespond(respond, bot.log)({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);

  // A click on a button this version does not handle (an old message, a forged payload) is
  // acknowledged and explained, instead of leaving Slack waiting until it shows an error.
  app.use(async (args) => {
    const body = args.body as { type?: string; actions?: { action_id?: unknown }[]; user?: { id?: string } };
    // Bolt routes a block_actions payload by its first action, as Slack sends one per click.
    const first = body.actions?.[0]?.action_id;
    // Bolt takes any payload with a top-level `name` for a legacy options request, which no
    // listener here answers; Slack's block_actions never carry one, so it is a stranger too.
    const routedAsAction = 'action' in args;
    const unknown = body.type === 'block_actions' && !(routedAsAction && typeof first === 'string' && HANDLED_ACTIONS.has(first));
    if (!unknown || !('ack' in args) || typeof args.ack !== 'function') return args.next();
    await (args.ack as () => Promise<void>)();
    bot.log.info({ user: body.user?.id }, 'a click on a button this bot does not handle was acknowledged and ignored');
    const respond = 'respond' in args ? (args.respond as ButtonArgs['respond'] | undefined) : undefined;
    if (respond !== undefined) await tell(respond, 'That button does nothing any more.');
  });

  // Alert buttons stand for commands, run as the person who clicked, with the same checks.
  // One click of one person is one request, however often Slack or the person repeats it.
  const asCommand = (commandFor: (value: string) => string) => async ({ ack, body, action, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const messageTs = body.container?.message_ts ?? body.message?.ts ?? '';
    const requestId = requestIdFor(body.team?.id ?? '', `${messageTs}:${action.action_id}:${action.value ?? ''}:${body.user.id}`);
    await runCommandText(bot, { userId: body.user.id, channelId: body.channel?.id ?? '', requestId, text: commandFor(action.value ?? '') }, retryingRespond(respond, bot.log)).catch((err: unknown) =>
      bot.log.error({ err }, 'alert button failed'),
    );
  };
  // Values are namespace/pod and org/name; the command's own grammar checks what they hold.
  const second = (value: string): string => value.split('/')[1] ?? '';
  app.action<BlockAction<ButtonAction>>(SHOW_LOGS_ACTION, asCommand((v) => `pods logs ${second(v)}`));
  app.action<BlockAction<ButtonAction>>(RESTART_POD_ACTION, asCommand((v) => `pods restart ${second(v)}`));
  app.action<BlockAction<ButtonAction>>(RENEW_CERT_ACTION, asCommand((v) => `cert renew ${v.split('/')[0] ?? ''} ${second(v)}`));

  app.action<BlockAction<ButtonAction>>(CANCEL_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    const jobId = action.value ?? '';
    const userId = body.user.id;
    const channelId = body.channel?.id ?? '';
    try {
      const job = await bot.jobs.get(jobId);
      const network = bot.membership.networkFor(channelId);
      const member = network === undefined ? undefined : await bot.membership.memberOf(userId, network.name);
      const allowed = job !== undefined && (job.requester.userId === userId || (member !== undefined && roleRank[member.role] >= roleRank.operator));
      if (!allowed) {
        auditSafely(bot, { actor: userId, channel: channelId, action: 'job.cancel', target: jobId, result: 'refused', detail: 'not the requester nor an operator' });
        await tell(respond, 'Only the requester or an operator of this network can cancel this job.');
        return;
      }
      const outcome = await bot.jobs.cancel(jobId, userId);
      auditSafely(bot, { actor: userId, channel: channelId, action: 'job.cancel', target: jobId, result: 'ok', detail: outcome });
      await tell(respond, outcome === 'already-finished' ? `Job ${jobId} had already finished.` : `Cancelling job ${jobId}.`);
    } catch (err) {
      bot.log.error({ err }, 'cancel button failed');
    }
  });

  const vote = (decision: Decision) => async ({ ack, body, action, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const id = action.value ?? '';
    const userId = body.user.id;
    const channelId = body.channel?.id ?? '';
    const audit = (result: 'ok' | 'refused' | 'error', detail: string): void =>
      auditSafely(bot, { actor: userId, channel: channelId, action: `approval.${decision}`, target: id, result, detail });
    try {
      const request = await bot.approvals.get(id);
      if (request === undefined) {
        audit('refused', 'no such request');
        await tell(respond, 'This approval request no longer exists.');
        return;
      }
      const memberships = request.network === undefined ? [] : await bot.membership.membershipsOf(userId, request.network);
      const check = checkVoter(request, userId, memberships, Date.now());
      if (!check.ok) {
        audit('refused', check.reason);
        if (request.state === 'expired') await refreshCard(bot, id);
        await tell(respond, `Your ${decision === 'approve' ? 'approval' : 'rejection'} was not counted: ${check.reason}.`);
        return;
      }
      const outcome = await bot.approvals.vote(id, check.org, userId, decision);
      if (decision === 'approve' && (outcome === 'recorded' || outcome === 'approved')) await approveInFabric(bot, request, check.org, userId);
      switch (outcome) {
        case 'approved': {
          audit('ok', `${check.org}: rule met`);
          const current = await bot.approvals.get(id);
          if (current !== undefined) {
            const jobId = await enqueueApproved(bot, current);
            auditSafely(bot, { actor: 'system', channel: channelId, action: 'approval.granted', target: id, result: 'ok', detail: `job ${jobId}` });
          }
          break;
        }
        case 'recorded':
        case 'rejected':
          audit('ok', `${check.org}: ${outcome}`);
          break;
        default:
          audit('refused', outcome === 'duplicate' ? `${check.org} has already voted` : `request is ${outcome}`);
          await tell(respond, outcome === 'duplicate' ? `${check.org} has already voted on this request.` : `This request is ${outcome === 'closed' ? 'closed' : outcome}.`);
      }
      await refreshCard(bot, id);
    } catch (err) {
      bot.log.error({ err, approval: id }, 'approval button failed');
      audit('error', err instanceof Error ? err.message : String(err));
    }
  };
  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, vote('approve'));
  app.action<BlockAction<ButtonAction>>(REJECT_ACTION, vote('reject'));
}

/**
 * Fabric's lifecycle mirrors the card: an org's approval of a chaincode deploy runs that org's
 * approveformyorg straight away, as a job of its own (one per request and org).
 */
async function approveInFabric(bot: BotContext, request: ApprovalRequest, org: string, userId: string): Promise<void> {
  if (request.jobType !== 'chaincode.deploy') return;
  const jobId = createHash('sha256').update(`${request.id}:${org}`).digest('hex').slice(0, 12);
  await bot.jobs.enqueue(jobId, {
    type: 'chaincode.approve-org',
    params: { ...request.params, org, approvalId: request.id },
    requester: { userId, org, role: 'admin' },
    channel: request.channel,
    network: request.network,
    command: `${request.command} — ${org}'s approval`,
    requestedAt: Date.now(),
  });
}
