import { roleRank, type Config, type NetworkConfig, type Role } from '../config/model.js';
import type { ApprovalPolicy, ApprovalRequest, ApprovalRule } from './approvals.js';

/** What a command declares about approval when the configuration says nothing. */
export interface DefaultApproval {
  orgs: 'requester' | 'all';
  rule: ApprovalRule;
  approverRole?: Role;
}

export interface EffectivePolicy {
  role: Role;
  approval?: ApprovalPolicy;
}

export interface Membership {
  org: string;
  role: Role;
}

const HOUR = 3600_000;

/** The configuration's `policies."<command>"` wins over the command's own defaults. */
export function effectivePolicy(
  config: Config,
  command: string,
  defaults: { role: Role; approval?: DefaultApproval },
  network: NetworkConfig | undefined,
  requesterOrg: string | undefined,
): EffectivePolicy {
  const configured = config.policies[command];
  const role = configured?.role ?? defaults.role;
  const source = configured !== undefined ? configured.approval : defaults.approval;
  if (source === undefined) return { role };
  const orgs =
    source.orgs === 'requester'
      ? requesterOrg === undefined
        ? []
        : [requesterOrg]
      : source.orgs === 'all'
        ? (network?.orgs.map((o) => o.name) ?? [])
        : [...source.orgs];
  const configuredApproval = configured?.approval;
  return {
    role,
    approval: {
      orgs,
      rule: source.rule,
      approverRole: source.approverRole ?? 'admin',
      allowSelfApproval: configuredApproval?.allowSelfApproval ?? false,
      expiresAfterMs: (configuredApproval?.expiresAfterHours ?? 24) * HOUR,
    },
  };
}

export type VoteCheck = { ok: true; org: string } | { ok: false; reason: string };

/**
 * May this person vote on this request, and for which organisation? Pure: the caller
 * supplies the person's memberships in the request's network.
 */
export function checkVoter(request: Pick<ApprovalRequest, 'policy' | 'requester' | 'votes' | 'state' | 'expiresAt'>, userId: string, memberships: readonly Membership[], now: number): VoteCheck {
  if (request.state !== 'open') return { ok: false, reason: `this request is already ${request.state}` };
  if (now > request.expiresAt) return { ok: false, reason: 'this request has expired' };
  if (userId === request.requester.userId && !request.policy.allowSelfApproval) {
    return { ok: false, reason: 'you asked for this change; someone else must approve it (four-eyes rule)' };
  }
  if (memberships.length === 0) return { ok: false, reason: 'you are not a member of any organisation of this network' };
  const required = memberships.filter((m) => request.policy.orgs.includes(m.org));
  if (required.length === 0) {
    return { ok: false, reason: `your organisation (${memberships.map((m) => m.org).join(', ')}) is not asked to approve this; ${request.policy.orgs.join(', ')} ${request.policy.orgs.length === 1 ? 'is' : 'are'}` };
  }
  const qualified = required.filter((m) => roleRank[m.role] >= roleRank[request.policy.approverRole]);
  if (qualified.length === 0) {
    const m = required[0] as Membership;
    return { ok: false, reason: `approving needs the ${request.policy.approverRole} role in ${m.org}; you are ${m.role}` };
  }
  const unvoted = qualified.find((m) => !request.votes.some((v) => v.org === m.org));
  if (unvoted === undefined) {
    const v = request.votes.find((x) => qualified.some((m) => m.org === x.org));
    return { ok: false, reason: `${v?.org ?? 'your organisation'} has already voted (<@${v?.user ?? '?'}>)` };
  }
  return { ok: true, org: unvoted.org };
}
