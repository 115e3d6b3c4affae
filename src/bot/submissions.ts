import { enqueueRequestedFollowUp, unapprovedParams } from '../jobs/services/approval-flow.js';
import type { ApprovalRequest } from '../jobs/services/approvals.js';
import type { InputOf, JobKind } from '../jobs/catalog/kind.js';
import type { EffectivePolicy } from '../jobs/services/policy.js';
import type { JobRequest } from '../jobs/engine/types.js';
import { slackApiErrors } from '../metrics.js';
import type { Member, Submission } from './commands/types.js';
import { auditSafely, type BotContext } from './context.js';
import { renderApprovalCard } from './render/approval.js';
import { slackText } from './render/text.js';
import { slackErrorCode } from './status-publisher.js';

export interface SubmitInput<K extends JobKind> {
  requestId: string;
  kind: K;
  params: InputOf<K>;
  policy: EffectivePolicy;
  member: Member;
  request: Omit<JobRequest, 'type' | 'params'>;
}

/** Queue the work, or put it up for approval when the request's policy says so. */
export async function submit<K extends JobKind>(bot: BotContext, input: SubmitInput<K>): Promise<Submission> {
  const { requestId, kind, request, policy } = input;
  const { type } = kind;
  if (policy.approval === undefined) {
    const params = unapprovedParams(kind, input.params, input.member) as JobRequest['params'];
    const { id, created } = await bot.jobs.enqueue(requestId, { ...request, type, params });
    return { kind: 'queued', id, created };
  }
  const { request: approval, created } = await bot.approvals.create({
    id: requestId,
    jobType: type,
    params: input.params as JobRequest['params'],
    command: request.command,
    requester: request.requester,
    channel: request.channel,
    network: request.network,
    ...(request.targetOrg === undefined ? {} : { targetOrg: request.targetOrg }),
    policy: policy.approval,
  });
  if (created) {
    auditSafely(bot, {
      actor: request.requester.userId,
      action: 'approval.requested',
      target: requestId,
      result: 'info',
      channel: request.channel,
      network: request.network,
      detail: `${request.command} → ${policy.approval.orgs.join(', ')}`,
    });
  }
  // Deliveries of one request racing each other: one of them posts the card (and queues what the card shows).
  if (approval.card === undefined && (await bot.approvals.claimCard(approval.id))) {
    await postCard(bot, approval);
    await enqueueRequestedFollowUp(bot, approval);
  }
  return { kind: 'awaiting-approval', id: requestId, created, orgs: approval.policy.orgs };
}

async function postCard(bot: BotContext, approval: ApprovalRequest): Promise<void> {
  const rendered = renderApprovalCard(approval);
  try {
    const res = await bot.client.chat.postMessage({ channel: approval.channel, text: slackText(rendered.text), blocks: rendered.blocks });
    await bot.approvals.setCard(approval.id, { channel: res.channel ?? approval.channel, ts: res.ts ?? '' });
  } catch (err) {
    slackApiErrors.inc({ method: 'chat.postMessage', error: slackErrorCode(err) });
    throw err;
  }
}

/** Re-render the card from Redis, the one source of truth. */
export async function refreshCard(bot: BotContext, id: string): Promise<ApprovalRequest | undefined> {
  const approval = await bot.approvals.get(id);
  if (approval?.card === undefined) return approval;
  const rendered = renderApprovalCard(approval);
  try {
    await bot.client.chat.update({
      channel: approval.card.channel,
      ts: approval.card.ts,
      text: slackText(rendered.text),
      blocks: rendered.blocks,
    });
  } catch (err) {
    slackApiErrors.inc({ method: 'chat.update', error: slackErrorCode(err) });
    bot.log.warn({ err: slackErrorCode(err), approval: id }, 'approval card not updated');
  }
  return approval;
}
