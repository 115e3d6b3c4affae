import { roleRank, type Config, type NetworkConfig, type Role } from '../../config/model.js';
import type { ApprovalPolicy, ApprovalRequest, ApprovalRule } from './approvals.js';
import type { Requester } from '../engine/types.js';

export { endorsementPolicyProblem } from '../../fabric/policy-syntax.js';

/**
 * Who may do what: the policy a request runs under, who may vote on it, who may cancel a job,
 * which chaincode images may run. Pure functions over the configuration; the Slack edge calls them
 * for commands, buttons and votes alike, so every path decides the same way.
 */

/** What a command declares about approval when the configuration says nothing. */
export interface DefaultApproval {
  /** `requester`: the org the command acts on, or the requester's own org when it names none. */
  orgs: 'requester' | 'all' | 'orderers' | 'signers';
  rule: ApprovalRule;
  approverRole?: Role;
}

export interface CommandDefaults {
  role: Role;
  approval?: DefaultApproval;
}

/** Requirements that some arguments raise (an admin identity, say); the configuration cannot lower them. */
export interface PolicyFloor {
  role: Role;
  approval: DefaultApproval;
  because: string;
}

export interface Membership {
  org: string;
  role: Role;
}

export interface EffectivePolicy {
  role: Role;
  approval?: ApprovalPolicy;
  /** Members of other orgs may request it for an org (with that org's approval). */
  allowOtherOrgs: boolean;
  /** Why the policy is stricter than the command's usual one, when a floor applied. */
  because?: string;
}

export interface PolicyInput {
  /** The command path, e.g. "peers scale": the key of `policies` in the configuration. */
  command: string;
  defaults: CommandDefaults;
  floor?: PolicyFloor;
  network: NetworkConfig;
  /** The org of the membership the request is made with. */
  requesterOrg: string | undefined;
  /** The org the command acts on, when it names one. */
  targetOrg?: string;
  /** The requester is not a member of the target org (the policy must allow other orgs). */
  crossOrg?: boolean;
}

const HOUR = 3600_000;
const DEFAULT_EXPIRY_HOURS = 24;
const stronger = (a: Role, b: Role | undefined): Role => (b !== undefined && roleRank[b] > roleRank[a] ? b : a);

/**
 * The command's defaults, overridden field by field by `policies."<command>"`; `approval: none`
 * is the only way to remove an approval. A floor and a cross-org request can only add to it:
 * a cross-org request is approved by the target org, never by the requester's.
 */
export function effectivePolicy(config: Config, input: PolicyInput): EffectivePolicy {
  const configured = config.policies[input.command];
  const role = stronger(configured?.role ?? input.defaults.role, input.floor?.role);
  const allowOtherOrgs = configured?.allowOtherOrgs ?? false;

  let merged: (DefaultApproval & { allowSelfApproval?: boolean; expiresAfterHours?: number }) | undefined = input.defaults.approval;
  if (configured?.approval === 'none') merged = undefined;
  else if (configured?.approval !== undefined) {
    const c = configured.approval;
    merged = {
      ...(merged ?? { orgs: 'requester', rule: 'ANY' }),
      ...(c.orgs === undefined ? {} : { orgs: c.orgs as DefaultApproval['orgs'] }),
      ...(c.rule === undefined ? {} : { rule: c.rule }),
      ...(c.approverRole === undefined ? {} : { approverRole: c.approverRole }),
      ...(c.allowSelfApproval === undefined ? {} : { allowSelfApproval: c.allowSelfApproval }),
      ...(c.expiresAfterHours === undefined ? {} : { expiresAfterHours: c.expiresAfterHours }),
    };
  }
  if (input.floor !== undefined) {
    merged =
      merged === undefined
        ? { ...input.floor.approval }
        : { ...merged, approverRole: stronger(merged.approverRole ?? 'admin', input.floor.approval.approverRole) };
  }
  if (input.crossOrg === true && merged === undefined) merged = { orgs: 'requester', rule: 'ANY', approverRole: 'admin' };
  const because = input.floor?.because;
  if (merged === undefined) return { role, allowOtherOrgs, ...(because === undefined ? {} : { because }) };

  const orgs =
    input.crossOrg === true && input.targetOrg !== undefined
      ? [input.targetOrg]
      : resolveOrgs(merged.orgs as DefaultApproval['orgs'] | string[], input);
  return {
    role,
    allowOtherOrgs,
    ...(because === undefined ? {} : { because }),
    approval: {
      orgs,
      rule: merged.rule,
      approverRole: merged.approverRole ?? 'admin',
      // Self-approval would let a cross-org requester approve for the org they are not in.
      allowSelfApproval: input.crossOrg === true ? false : (merged.allowSelfApproval ?? false),
      expiresAfterMs: (merged.expiresAfterHours ?? DEFAULT_EXPIRY_HOURS) * HOUR,
    },
  };
}

function resolveOrgs(orgs: DefaultApproval['orgs'] | string[], input: PolicyInput): string[] {
  if (orgs === 'all') return input.network.orgs.map((o) => o.name);
  if (orgs === 'orderers') return input.network.ordererOrgs.map((o) => o.name);
  if (orgs === 'signers') return [...input.network.orgs, ...input.network.ordererOrgs].map((o) => o.name);
  if (orgs === 'requester') {
    const org = input.targetOrg ?? input.requesterOrg;
    return org === undefined ? [] : [org];
  }
  return [...orgs];
}

export type VoteCheck = { ok: true; org: string } | { ok: false; reason: string };

/**
 * May this person vote on this request, and for which organisation? One person casts one vote
 * per request, whatever number of orgs they belong to. Pure: the caller supplies the person's
 * memberships in the request's network.
 */
export function checkVoter(
  request: Pick<ApprovalRequest, 'policy' | 'requester' | 'votes' | 'state' | 'expiresAt'>,
  userId: string,
  memberships: readonly Membership[],
  now: number,
): VoteCheck {
  if (request.state !== 'open') return { ok: false, reason: `this request is already ${request.state}` };
  if (now > request.expiresAt) return { ok: false, reason: 'this request has expired' };
  if (userId === request.requester.userId && !request.policy.allowSelfApproval) {
    return { ok: false, reason: 'you asked for this change; someone else must approve it (four-eyes rule)' };
  }
  if (memberships.length === 0) return { ok: false, reason: 'you are not a member of any organisation of this network' };
  const required = memberships.filter((m) => request.policy.orgs.includes(m.org));
  if (required.length === 0) {
    return {
      ok: false,
      reason:
        `your organisation (${memberships.map((m) => m.org).join(', ')}) is not asked to approve this; ` +
        `${request.policy.orgs.join(', ')} ${request.policy.orgs.length === 1 ? 'is' : 'are'}`,
    };
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
  const own = request.votes.find((v) => v.user === userId);
  if (own !== undefined)
    return {
      ok: false,
      reason: `you have already voted on this request (for ${own.org}); one person has one vote, whatever number of orgs they are in`,
    };
  return { ok: true, org: unvoted.org };
}

/**
 * Who may cancel a job: the person who asked for it, or an operator of the org it acts on (of any
 * org of the network, for a job that acts on the network as a whole).
 */
export function mayCancel(job: { requester: Requester; targetOrg?: string }, userId: string, memberships: readonly Membership[]): boolean {
  if (job.requester.userId === userId) return true;
  return memberships.some((m) => roleRank[m.role] >= roleRank.operator && (job.targetOrg === undefined || m.org === job.targetOrg));
}

/** Why a chaincode image may not run, or undefined when it may (none given: the default image). */
export function imageProblem(config: Config, image: string | undefined): string | undefined {
  if (image === undefined) return undefined;
  const allowed = config.chaincode.allowedRegistries;
  if (allowed.length === 0) return '--image is not allowed: the configuration allows no chaincode registries (chaincode.allowedRegistries)';
  if (allowed.some((registry) => image.startsWith(`${registry}/`))) return undefined;
  return `--image ${image} is not from a registry the configuration allows (${allowed.join(', ')})`;
}
