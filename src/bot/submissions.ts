import { effectivePolicy } from '../jobs/approval-policy.js';
import type { ApprovalRequest } from '../jobs/approvals.js';
import type { JobRequest, JsonValue } from '../jobs/types.js';
import { slackApiErrors } from '../metrics.js';
import type { CommandSpec, Member, Submission } from './commands/types.js';
import { auditSafely, type BotContext } from './context.js';
import { renderApprovalCard } from './render/approval.js';
import { slackErrorCode } from './status-publisher.js';

export interface SubmitInput {
  spec: CommandSpec;
  requestId: string;
  type: string;
  params: Record<string, JsonValue>;
  request: Omit<JobRequest, 'type' | 'params'>;
  member: Member | undefined;
}

/** Queue the work, or put it up for approval when the command's policy says so. */
export async function submit(bot: BotContext, input: SubmitInput): Promise<Submission> {
  const { spec, requestId, type, params, request } = input;
  const command = spec.path.join(' ');
  const network = bot.config.networks.find((n) => n.name === request.network);
  const policy = effectivePolicy(bot.config, command, { role: spec.access === 'anyone' ? 'viewer' : spec.access, approval: spec.approval }, network, input.member?.org);
  if (policy.approval === undefined) {
    const { id, created } = await bot.jobs.enqueue(requestId, { ...request, type, params });
    return { kind: 'queued', id, created };
  }
  const { request: approval, created } = await bot.approvals.create({
    id: requestId,
    jobType: type,
    params,
    command: request.command,
    requester: request.requester,
    channel: request.channel,
    network: request.network,
    policy: policy.approval,
  });
  if (created) {
    auditSafely(bot, { actor: request.requester.userId, action: 'approval.requested', target: requestId, result: 'info', channel: request.channel, network: request.network, detail: `${request.command} → ${policy.approval.orgs.join(', ')}` });
  }
  if (approval.card === undefined) await postCard(bot, approval);
  return { kind: 'awaiting-approval', id: requestId, created, orgs: approval.policy.orgs };
}

async function postCard(bot: BotContext, approval: ApprovalRequest): Promise<void> {
  const rendered = renderApprovalCard(approval);
  try {
    const res = await bot.client.chat.postMessage({ channel: approval.channel, text: rendered.text, blocks: rendered.blocks });
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
    await bot.client.chat.update({ channel: approval.card.channel, ts: approval.card.ts, text: rendered.text, blocks: rendered.blocks });
  } catch (err) {
    slackApiErrors.inc({ method: 'chat.update', error: slackErrorCode(err) });
    bot.log.warn({ err: slackErrorCode(err), approval: id }, 'approval card not updated');
  }
  return approval;
}

/** Called by the one vote that met the rule: queue the work (the job id is the request id, so at most once). */
export async function enqueueApproved(bot: BotContext, approval: ApprovalRequest): Promise<string> {
  const { id } = await bot.jobs.enqueue(approval.id, {
    type: approval.jobType,
    // Which orgs approved travels with the job: a chaincode deploy approves in Fabric for those only.
    params: { ...approval.params, approvedByOrgs: approval.votes.filter((v) => v.decision === 'approve').map((v) => v.org) },
    requester: approval.requester,
    channel: approval.channel,
    network: approval.network,
    command: approval.command,
    requestedAt: approval.createdAt,
  });
  await bot.approvals.setJob(approval.id, id);
  return id;
}
