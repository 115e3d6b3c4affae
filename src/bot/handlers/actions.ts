import type { App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { enqueueApproved, enqueueOrgFollowUp, hasOrgFollowUp } from '../../jobs/services/approval-flow.js';
import type { Decision } from '../../jobs/services/approvals.js';
import { checkVoter, mayCancel } from '../../jobs/services/policy.js';
import { isRedisUnavailable } from '../../jobs/engine/redis.js';
import { auditSafely, type BotContext } from '../context.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../render/approval.js';
import { RENEW_CERT_ACTION, RESTART_POD_ACTION, SHOW_LOGS_ACTION } from '../render/alert.js';
import { CANCEL_ACTION, NEXT_COMMAND_ACTION, REQUEST_AGAIN_ACTION } from '../render/job-status.js';
import { requestIdFor, runCommandText } from './commands.js';
import { retryingRespond } from '../respond.js';
import { refreshCard } from '../submissions.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>>;

const NEXT_COMMAND = new RegExp(`^${NEXT_COMMAND_ACTION}_\\d$`);

const HANDLED_ACTIONS = new Set([
  SHOW_LOGS_ACTION,
  RESTART_POD_ACTION,
  RENEW_CERT_ACTION,
  REQUEST_AGAIN_ACTION,
  CANCEL_ACTION,
  APPROVE_ACTION,
  REJECT_ACTION,
]);

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
    const handled = typeof first === 'string' && (HANDLED_ACTIONS.has(first) || NEXT_COMMAND.test(first));
    const unknown = body.type === 'block_actions' && !(routedAsAction && handled);
    if (!unknown || !('ack' in args) || typeof args.ack !== 'function') return args.next();
    await (args.ack as () => Promise<void>)();
    bot.log.info({ user: body.user?.id }, 'a click on a button this bot does not handle was acknowledged and ignored');
    const respond = 'respond' in args ? (args.respond as ButtonArgs['respond'] | undefined) : undefined;
    if (respond !== undefined) await tell(respond, 'That button does nothing any more.');
  });

  // Alert buttons (and Request again) stand for commands, run as the person who clicked, with the same checks.
  // One click of one person is one request, however often Slack or the person repeats it.
  // Their values name the network they were posted for, which must be this channel's.
  const asCommand =
    (commandFor: (parts: string[]) => string) =>
    async ({ ack, body, action, respond }: ButtonArgs): Promise<void> => {
      await ack();
      const channelId = body.channel?.id ?? '';
      const [network, ...parts] = (action.value ?? '').split('/');
      if (network === undefined || network === '' || bot.membership.networkFor(channelId)?.name !== network) {
        auditSafely(bot, {
          actor: body.user.id,
          channel: channelId,
          action: `button ${action.action_id}`,
          result: 'refused',
          detail: 'the button belongs to another network',
        });
        await tell(respond, 'That button does nothing here.');
        return;
      }
      const messageTs = body.container?.message_ts ?? body.message?.ts ?? '';
      const requestId = requestIdFor(body.team?.id ?? '', `${messageTs}:${action.action_id}:${action.value ?? ''}:${body.user.id}`);
      await runCommandText(
        bot,
        { userId: body.user.id, channelId, requestId, text: commandFor(parts) },
        retryingRespond(respond, bot.log),
      ).catch((err: unknown) => bot.log.error({ err }, 'alert button failed'));
    };
  // The command's own grammar checks what the values hold.
  app.action<BlockAction<ButtonAction>>(
    SHOW_LOGS_ACTION,
    asCommand(([pod = '']) => `pods logs ${pod}`),
  );
  app.action<BlockAction<ButtonAction>>(
    RESTART_POD_ACTION,
    asCommand(([pod = '']) => `pods restart ${pod}`),
  );
  app.action<BlockAction<ButtonAction>>(
    RENEW_CERT_ACTION,
    asCommand(([org = '', name = '']) => `cert renew ${org} ${name}`),
  );

  // A job that failed on a stale plan: the command as it was typed, asked again by whoever clicks;
  // a command a succeeded job suggests, the same way.
  app.action<BlockAction<ButtonAction>>(
    REQUEST_AGAIN_ACTION,
    asCommand((parts) => parts.join('/')),
  );
  app.action<BlockAction<ButtonAction>>(
    NEXT_COMMAND,
    asCommand((parts) => parts.join('/')),
  );

  app.action<BlockAction<ButtonAction>>(CANCEL_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    const jobId = action.value ?? '';
    const userId = body.user.id;
    const channelId = body.channel?.id ?? '';
    try {
      const network = bot.membership.networkFor(channelId);
      // A job of another network is as unknown here as no job at all.
      const job = network === undefined ? undefined : await bot.jobs.get(jobId, network.name);
      const memberships = network === undefined ? [] : await bot.membership.membershipsOf(userId, network.name);
      if (network === undefined || job === undefined || !mayCancel(job, userId, memberships)) {
        auditSafely(bot, {
          actor: userId,
          channel: channelId,
          network: network?.name,
          action: 'job.cancel',
          target: jobId,
          result: 'refused',
          detail: job === undefined ? 'no such job here' : 'not the requester nor an operator of the org it acts on',
        });
        await tell(
          respond,
          job === undefined
            ? `No job \`${jobId}\` in this network.`
            : `Only the requester or an operator of ${job.targetOrg ?? 'this network'} can cancel this job.`,
        );
        return;
      }
      const outcome = await bot.jobs.cancel(jobId, userId, network.name);
      auditSafely(bot, {
        actor: userId,
        channel: channelId,
        network: network.name,
        action: 'job.cancel',
        target: jobId,
        result: 'ok',
        detail: outcome,
      });
      await tell(respond, outcome === 'already-finished' ? `Job ${jobId} had already finished.` : `Cancelling job ${jobId}.`);
    } catch (err) {
      bot.log.error({ err }, 'cancel button failed');
      if (isRedisUnavailable(err))
        await tell(respond, `Job ${jobId} was not cancelled: the bot cannot reach Redis right now. Try again in a minute.`);
    }
  });

  const flow = { jobs: bot.jobs, approvals: bot.approvals, audit: bot.audit, kinds: bot.kinds };
  const vote =
    (decision: Decision) =>
    async ({ ack, body, action, respond }: ButtonArgs): Promise<void> => {
      await ack();
      const id = action.value ?? '';
      const userId = body.user.id;
      const channelId = body.channel?.id ?? '';
      const network = bot.membership.networkFor(channelId);
      const audit = (result: 'ok' | 'refused' | 'error', detail: string): void =>
        auditSafely(bot, {
          actor: userId,
          channel: channelId,
          network: network?.name,
          action: `approval.${decision}`,
          target: id,
          result,
          detail,
        });
      try {
        // A request of another network is as unknown here as none at all.
        const request = network === undefined ? undefined : await bot.approvals.getIn(id, network.name);
        if (request === undefined) {
          audit('refused', 'no such request here');
          await tell(respond, 'This approval request no longer exists.');
          return;
        }
        const memberships = await bot.membership.membershipsOf(userId, request.network);
        const check = checkVoter(request, userId, memberships, Date.now());
        if (!check.ok) {
          audit('refused', check.reason);
          if (request.state === 'expired') await refreshCard(bot, id);
          await tell(respond, `Your ${decision === 'approve' ? 'approval' : 'rejection'} was not counted: ${check.reason}.`);
          return;
        }
        const followUp = decision === 'approve' && hasOrgFollowUp(bot.kinds, request.jobType);
        const outcome = await bot.approvals.vote(request, check.org, userId, decision, followUp);
        if (followUp && (outcome === 'recorded' || outcome === 'approved')) await enqueueOrgFollowUp(flow, request, check.org, userId);
        switch (outcome) {
          case 'approved': {
            audit('ok', `${check.org}: rule met`);
            const current = await bot.approvals.get(id);
            if (current !== undefined) {
              const { id: jobId, created } = await enqueueApproved(flow, current);
              if (created)
                auditSafely(bot, {
                  actor: 'system',
                  channel: channelId,
                  network: request.network,
                  action: 'approval.granted',
                  target: id,
                  result: 'ok',
                  detail: `job ${jobId}`,
                });
            }
            break;
          }
          case 'recorded':
          case 'rejected':
            audit('ok', `${check.org}: ${outcome}`);
            break;
          default: {
            const why = {
              duplicate: `${check.org} has already voted on this request.`,
              'duplicate-person': 'You have already voted on this request; one person has one vote.',
              closed: 'This request is closed.',
              expired: 'This request is expired.',
              missing: 'This request is missing.',
            }[outcome];
            audit('refused', why);
            await tell(respond, why);
          }
        }
        await refreshCard(bot, id);
      } catch (err) {
        bot.log.error({ err, approval: id }, 'approval button failed');
        audit('error', err instanceof Error ? err.message : String(err));
        const approvalOrRejection = decision === 'approve' ? 'approval' : 'rejection';
        if (isRedisUnavailable(err))
          await tell(
            respond,
            `Your ${approvalOrRejection} was not counted: the bot cannot reach Redis right now. ` +
              'Nothing was recorded; try again in a minute.',
          );
        else
          await tell(
            respond,
            `Your ${approvalOrRejection} may not have been counted (${err instanceof Error ? err.message : String(err)}); ` +
              'look at the card, and try again if it does not show it.',
          );
      }
    };
  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, vote('approve'));
  app.action<BlockAction<ButtonAction>>(REJECT_ACTION, vote('reject'));
}
