import type { KnownBlock } from '@slack/types';
import {
  approvalsNeeded,
  describeRule,
  type ApprovalRequest,
  type ChannelPlan,
  type PlanSignature,
} from '../../jobs/services/approvals.js';
import type { JobView } from '../../jobs/engine/types.js';
import { requestAgainBlock, stateLabel, stepLine } from './job-status.js';
import { context, escapeMrkdwn, formatTime, section, truncate, type Rendered } from './text.js';

export const APPROVE_ACTION = 'approval_approve';
export const REJECT_ACTION = 'approval_reject';

const stateLine: Record<ApprovalRequest['state'], string> = {
  open: ':hourglass_flowing_sand: Waiting for approval',
  approved: ':white_check_mark: Approved',
  rejected: ':x: Rejected',
  expired: ':alarm_clock: Expired without enough approvals',
};

/** The approval card: what is asked, by whom, one line per organisation, and the buttons while open. */
/** `job`: the approved job as it ended, whose steps the card then lists. */
export function renderApprovalCard(req: ApprovalRequest, job?: JobView): Rendered {
  const orgLines = req.policy.orgs.map((org) => {
    const v = req.votes.find((x) => x.org === org);
    if (v === undefined) return `:white_circle: *${escapeMrkdwn(org)}* — waiting for an ${req.policy.approverRole}`;
    const icon = v.decision === 'approve' ? ':white_check_mark:' : ':x:';
    return `${icon} *${escapeMrkdwn(org)}* — ${v.decision === 'approve' ? 'approved' : 'rejected'} by <@${v.user}> ${formatTime(v.at)}`;
  });
  const outcome =
    req.state === 'approved' && req.jobId !== undefined ? `${stateLine.approved}: job \`${req.jobId}\` queued` : stateLine[req.state];
  const blocks: KnownBlock[] = [
    section(`*Approval needed:* \`${escapeMrkdwn(truncate(req.command, 300))}\``),
    context(
      `Requested by <@${req.requester.userId}>${req.requester.org !== undefined ? ` (${escapeMrkdwn(req.requester.org)})` : ''}`,
      `Request \`${req.id}\``,
      `Expires ${formatTime(req.expiresAt)}`,
    ),
    section(
      `Needs ${
        req.needed === approvalsNeeded(req.policy.rule, req.policy.orgs.length)
          ? describeRule(req.policy.rule, req.policy.orgs.length)
          : `${req.needed} of ${req.policy.orgs.length}, as Fabric's policy asks,`
      } ` + `of ${req.policy.orgs.map((o) => `*${escapeMrkdwn(o)}*`).join(', ')}:\n${orgLines.join('\n')}`,
    ),
    ...(req.fabric === undefined
      ? []
      : [
          context(
            `Fabric commit readiness: ${Object.entries(req.fabric)
              .map(([msp, ok]) => `${escapeMrkdwn(msp)} ${ok ? ':white_check_mark: approved' : ':white_circle: not yet'}`)
              .join(' · ')}`,
          ),
        ]),
    ...(req.plan === undefined ? [] : planBlocks(req.plan, req.signatures)),
    section(`*${outcome}*`),
    ...(job === undefined
      ? []
      : [section(`Job \`${escapeMrkdwn(job.id)}\` ${stateLabel[job.state]}:\n${truncate(job.steps.map(stepLine).join('\n'), 2800)}`)]),
    ...(job === undefined ? [] : [requestAgainBlock(job)].filter((b): b is KnownBlock => b !== undefined)),
  ];
  if (req.state === 'open') {
    blocks.push({
      type: 'actions',
      block_id: 'approval_actions',
      elements: [
        { type: 'button', action_id: APPROVE_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: req.id },
        { type: 'button', action_id: REJECT_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: req.id },
      ],
    });
  }
  return { text: `Approval ${req.state}: ${truncate(req.command, 300)}`, blocks };
}

/** A channel update's plan: what changes, on which config sequence, what Fabric will ask, and each org's signature. */
function planBlocks(plan: ChannelPlan, signatures: readonly PlanSignature[]): KnownBlock[] {
  const on = `*Plan* for \`${escapeMrkdwn(plan.channel)}\` at config sequence ${plan.sequence}`;
  if (plan.problem !== undefined) return [section(`${on}: :warning: ${escapeMrkdwn(plan.problem)}`)];
  if (plan.changes.length === 0) return [section(`${on}: nothing to change, the channel already has it`)];
  const changes = truncate(plan.changes.map((line) => `• ${escapeMrkdwn(line)}`).join('\n'), 2000);
  // A new channel: no config update to sign, its members and ordering orgs agree on the card.
  if (plan.policies.length === 0)
    return [
      section(`${on}:\n${changes}`),
      context(`No config signature (a channel starts from its genesis block): ${plan.signers.map(escapeMrkdwn).join(', ')} agree here`),
    ];
  const asks = plan.policies.map((p) => `\`${escapeMrkdwn(p.policy)}\`: ${escapeMrkdwn(p.asks)}`);
  const signed = plan.signers.map((mspId) => {
    const s = signatures.find((x) => x.mspId === mspId && x.signature !== undefined);
    return s === undefined ? `:white_circle: ${escapeMrkdwn(mspId)}` : `:white_check_mark: ${escapeMrkdwn(mspId)} (<@${s.user}>)`;
  });
  const refused = signatures
    .filter((s) => s.refused !== undefined)
    .map((s) => `:no_entry: ${escapeMrkdwn(s.org)}'s signature does not count: ${escapeMrkdwn(s.refused ?? '')}`);
  return [
    section(`${on}:\n${changes}`),
    context(
      `Fabric will check ${truncate(asks.join(' · '), 1200)}`,
      `Signatures: ${signed.join(' · ')}`,
      ...refused.map((line) => truncate(line, 600)),
    ),
  ];
}

export function renderApprovalList(requests: readonly ApprovalRequest[]): Rendered {
  if (requests.length === 0) return { text: 'No approvals are waiting.', blocks: [section('No approvals are waiting.')] };
  const lines = requests.map((r) => {
    const approvals = r.votes.filter((v) => v.decision === 'approve').length;
    return (
      `• \`${r.id}\` \`${escapeMrkdwn(truncate(r.command, 120))}\` by <@${r.requester.userId}> — ` +
      `${approvals}/${r.needed} approvals, expires ${formatTime(r.expiresAt)}`
    );
  });
  return {
    text: requests.map((r) => `${r.id} ${r.command}`).join('\n'),
    blocks: [section(`*${requests.length} waiting for approval*`), section(lines.join('\n'))],
  };
}
