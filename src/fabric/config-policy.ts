import { X509Certificate } from 'node:crypto';
import { common, msp } from '@hyperledger/fabric-protos';
import { mapEntries } from './proto-maps.js';

/** A signer as policies see it: its MSP and the roles its certificate's NodeOUs give it. */
export interface PolicySigner {
  mspId: string;
  roles: ReadonlySet<Role>;
}

export type Role = 'member' | 'admin' | 'client' | 'peer' | 'orderer';

const ROLE_OF: Record<number, Role> = {
  [msp.MSPRole.MSPRoleType.MEMBER]: 'member',
  [msp.MSPRole.MSPRoleType.ADMIN]: 'admin',
  [msp.MSPRole.MSPRoleType.CLIENT]: 'client',
  [msp.MSPRole.MSPRoleType.PEER]: 'peer',
  [msp.MSPRole.MSPRoleType.ORDERER]: 'orderer',
};

/** The roles NodeOUs give a certificate (its OU), every certificate being a member. */
export function signerOf(mspId: string, certPem: string): PolicySigner {
  const ous = new X509Certificate(certPem).subject
    .split('\n')
    .filter((line) => line.startsWith('OU='))
    .map((line) => line.slice(3));
  const roles = new Set<Role>(['member']);
  for (const ou of ous) if (ou === 'admin' || ou === 'client' || ou === 'peer' || ou === 'orderer') roles.add(ou);
  return { mspId, roles };
}

/** The signer of a ConfigSignature, as the orderer will see it: the creator its signature header names. */
export function signerOfConfigSignature(signature: common.ConfigSignature): PolicySigner {
  const header = common.SignatureHeader.deserializeBinary(signature.getSignatureHeader_asU8());
  const creator = msp.SerializedIdentity.deserializeBinary(header.getCreator_asU8());
  return signerOf(creator.getMspid(), Buffer.from(creator.getIdBytes_asU8()).toString('utf8'));
}

/** Whether a policy is met, and in words what it asks and what the signers gave. */
export interface PolicyVerdict {
  satisfied: boolean;
  /** What the policy asks, e.g. "MAJORITY of Admins: 2 of Org1MSP, Org2MSP, Org3MSP". */
  asks: string;
  /** What it asks and what the signers gave, e.g. "MAJORITY of Admins: 2 of Org1MSP, Org2MSP, Org3MSP (has Org1MSP)". */
  explanation: string;
}

function groupAt(config: common.Config, path: string[]): common.ConfigGroup {
  let group = config.getChannelGroup();
  if (group === undefined) throw new Error('the config has no channel group');
  for (const name of path.slice(1)) {
    const next = group.getGroupsMap().get(name);
    if (next === undefined) throw new Error(`the config has no group /${path.join('/')}`);
    group = next;
  }
  return group;
}

/** Whether the config has a policy at this absolute path (such as /Channel/Application/Writers). */
export function policyExists(config: common.Config, policyPath: string): boolean {
  const parts = policyPath.split('/').filter((p) => p !== '');
  const name = parts.pop();
  if (name === undefined || parts[0] !== 'Channel') return false;
  try {
    return groupAt(config, parts).getPoliciesMap().has(name);
  } catch {
    return false;
  }
}

/**
 * Evaluates the policy at `policyPath` (absolute, such as /Channel/Application/Admins) over the
 * signers, as Fabric's orderer does for a config update: implicit meta policies over the
 * sub-groups' policies of that name, signature policies over MSP roles (each signature used once).
 */
export function evaluatePolicy(config: common.Config, policyPath: string, signers: PolicySigner[]): PolicyVerdict {
  const parts = policyPath.split('/').filter((p) => p !== '');
  const name = parts.pop();
  if (name === undefined || parts[0] !== 'Channel') throw new Error(`${policyPath} is not a policy path under /Channel`);
  const group = groupAt(config, parts);
  const policy = group.getPoliciesMap().get(name)?.getPolicy();
  if (policy === undefined)
    return { satisfied: false, asks: `${policyPath}, which does not exist`, explanation: `${policyPath} does not exist` };
  switch (policy.getType()) {
    case common.Policy.PolicyType.IMPLICIT_META: {
      const meta = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
      const sub = meta.getSubPolicy();
      const children = [...group.getGroupsMap().entries()].map(([child]) => child as string).sort();
      const met = children.filter((child) => evaluatePolicy(config, `/${[...parts, child, sub].join('/')}`, signers).satisfied);
      const rule = meta.getRule();
      // As Fabric: with no sub-groups at all, nothing is needed, whatever the rule.
      const needed =
        children.length === 0
          ? 0
          : rule === common.ImplicitMetaPolicy.Rule.ANY
            ? 1
            : rule === common.ImplicitMetaPolicy.Rule.ALL
              ? children.length
              : Math.floor(children.length / 2) + 1;
      const ruleName =
        rule === common.ImplicitMetaPolicy.Rule.ANY ? 'ANY' : rule === common.ImplicitMetaPolicy.Rule.ALL ? 'ALL' : 'MAJORITY';
      const asks = `${ruleName} of ${sub}: ${needed} of ${children.join(', ')}`;
      return { satisfied: met.length >= needed, asks, explanation: `${asks} (has ${met.length === 0 ? 'none' : met.join(', ')})` };
    }
    case common.Policy.PolicyType.SIGNATURE: {
      const envelope = common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
      const principals = envelope.getIdentitiesList().map(principalOf);
      const rule = envelope.getRule();
      const satisfied = rule !== undefined && signaturePolicyMet(rule, principals, signers, new Array(signers.length).fill(false));
      const asks = `signed by ${principals.map((p) => (p === undefined ? '?' : `${p.mspId}.${p.role}`)).join(', ')}`;
      return { satisfied, asks, explanation: asks };
    }
    default: {
      const asks = `${policyPath}, a policy of a type the bot cannot evaluate`;
      return { satisfied: false, asks, explanation: asks };
    }
  }
}

/** The MSPs whose signatures a policy can count: the principals it names, through implicit meta policies' sub-groups. */
export function mspsIn(config: common.Config, policyPath: string): string[] {
  const parts = policyPath.split('/').filter((p) => p !== '');
  const name = parts.pop();
  if (name === undefined || parts[0] !== 'Channel') return [];
  let group: common.ConfigGroup;
  try {
    group = groupAt(config, parts);
  } catch {
    return [];
  }
  const policy = group.getPoliciesMap().get(name)?.getPolicy();
  if (policy?.getType() === common.Policy.PolicyType.IMPLICIT_META) {
    const sub = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8()).getSubPolicy();
    const children = [...group.getGroupsMap().keys()] as string[];
    return [...new Set(children.flatMap((child) => mspsIn(config, `/${[...parts, child, sub].join('/')}`)))].sort();
  }
  if (policy?.getType() === common.Policy.PolicyType.SIGNATURE) {
    const envelope = common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
    return [...new Set(envelope.getIdentitiesList().flatMap((p) => principalOf(p)?.mspId ?? []))].sort();
  }
  return [];
}

function principalOf(p: msp.MSPPrincipal): { mspId: string; role: Role } | undefined {
  if (p.getPrincipalClassification() !== msp.MSPPrincipal.Classification.ROLE) return undefined;
  const role = msp.MSPRole.deserializeBinary(p.getPrincipal_asU8());
  const name = ROLE_OF[role.getRole()];
  return name === undefined ? undefined : { mspId: role.getMspIdentifier(), role: name };
}

/** Fabric's evaluation: n-out-of over sub-rules, each signed_by taking the first unused signer that matches. */
function signaturePolicyMet(
  rule: common.SignaturePolicy,
  principals: ({ mspId: string; role: Role } | undefined)[],
  signers: PolicySigner[],
  used: boolean[],
): boolean {
  if (rule.hasSignedBy()) {
    const principal = principals[rule.getSignedBy()];
    if (principal === undefined) return false;
    const i = signers.findIndex((s, k) => !used[k] && s.mspId === principal.mspId && s.roles.has(principal.role));
    if (i < 0) return false;
    used[i] = true;
    return true;
  }
  const nOutOf = rule.getNOutOf();
  if (nOutOf === undefined) return false;
  let met = 0;
  for (const sub of nOutOf.getRulesList()) {
    const attempt = [...used];
    if (signaturePolicyMet(sub, principals, signers, attempt)) {
      met++;
      attempt.forEach((u, k) => {
        used[k] = u;
      });
    }
  }
  return met >= nOutOf.getN();
}

/** An element a config update changes, and the policy that must allow it (its mod_policy, absolute). */
export interface RequiredPolicy {
  element: string;
  policy: string;
}

const absolute = (modPolicy: string, groupPath: string[]): string =>
  modPolicy.startsWith('/') ? modPolicy : `/${[...groupPath, modPolicy].join('/')}`;

/**
 * The policies a ConfigUpdate must satisfy against the current config, as Fabric's validator
 * asks: each existing element whose version the write set changes, by its current mod_policy (a
 * group's resolved within itself, a value's or policy's within its group). New members are
 * allowed by their group's own change.
 */
export function requiredPolicies(config: common.Config, update: common.ConfigUpdate): RequiredPolicy[] {
  const required: RequiredPolicy[] = [];
  const walk = (written: common.ConfigGroup, current: common.ConfigGroup, path: string[]): void => {
    for (const [kind, writtenMap, currentMap] of [
      ['policy', written.getPoliciesMap(), current.getPoliciesMap()],
      ['value', written.getValuesMap(), current.getValuesMap()],
    ] as const) {
      for (const [key, item] of mapEntries<common.ConfigPolicy | common.ConfigValue>(writtenMap)) {
        const existing = currentMap.get(key);
        if (existing !== undefined && existing.getVersion() !== item.getVersion())
          required.push({ element: `/${path.join('/')} ${kind} ${key}`, policy: absolute(existing.getModPolicy(), path) });
      }
    }
    for (const [key, child] of mapEntries(written.getGroupsMap())) {
      const existing = current.getGroupsMap().get(key);
      if (existing === undefined) continue;
      const childPath = [...path, key];
      if (existing.getVersion() !== child.getVersion())
        required.push({ element: `/${childPath.join('/')}`, policy: absolute(existing.getModPolicy(), childPath) });
      walk(child, existing, childPath);
    }
  };
  const [written, current] = [update.getWriteSet(), config.getChannelGroup()];
  if (written === undefined || current === undefined) return required;
  if (written.getVersion() !== current.getVersion())
    required.push({ element: '/Channel', policy: absolute(current.getModPolicy(), ['Channel']) });
  walk(written, current, ['Channel']);
  return required;
}

/** What a policy asks in the simplest terms there are: signatures by the admins of `count` of these MSPs. */
export interface AdminsDemand {
  msps: string[];
  count: number;
}

/**
 * The policy as "admins of `count` of these MSPs", when it is that simple: an implicit meta policy
 * whose sub-groups' policies each take one admin of one MSP (Fabric's defaults for Admins), or a
 * signature policy taking n of its principals, each an admin (or member) of a different MSP. An
 * implicit meta policy all of whose sub-groups must agree, each of them that simple, is the fewest
 * admins of their MSPs that satisfy it whichever of them sign (more than Fabric may need, never
 * fewer). Undefined for anything else (nested rules, several roles of one MSP), which the bot only checks.
 */
export function adminsDemand(config: common.Config, policyPath: string): AdminsDemand | undefined {
  const parts = policyPath.split('/').filter((p) => p !== '');
  const name = parts.pop();
  if (name === undefined || parts[0] !== 'Channel') return undefined;
  let group: common.ConfigGroup;
  try {
    group = groupAt(config, parts);
  } catch {
    return undefined;
  }
  const policy = group.getPoliciesMap().get(name)?.getPolicy();
  if (policy?.getType() === common.Policy.PolicyType.IMPLICIT_META) {
    const meta = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
    const children = [...group.getGroupsMap().keys()] as string[];
    const subs = children.map((child) => adminsDemand(config, `/${[...parts, child, meta.getSubPolicy()].join('/')}`));
    if (children.length === 0 || !subs.every((d): d is AdminsDemand => d !== undefined)) return undefined;
    const rule = meta.getRule();
    const needed =
      rule === common.ImplicitMetaPolicy.Rule.ANY
        ? 1
        : rule === common.ImplicitMetaPolicy.Rule.ALL
          ? subs.length
          : Math.floor(subs.length / 2) + 1;
    const msps = subs.map((d) => d.msps[0] as string);
    if (subs.every((d) => d.count === 1 && d.msps.length === 1) && new Set(msps).size === msps.length)
      return { msps: msps.sort(), count: needed };
    // Every sub-group must agree (the channel's Admins: the application's and the orderer's). No
    // count of admins says that exactly; the fewest that satisfy it whichever sign: enough that
    // those left out of any one sub-group's MSPs still leave it its count.
    if (needed !== subs.length) return undefined;
    const all = [...new Set(subs.flatMap((d) => d.msps))].sort();
    return { msps: all, count: Math.max(...subs.map((d) => all.length - d.msps.length + d.count)) };
  }
  if (policy?.getType() === common.Policy.PolicyType.SIGNATURE) {
    const envelope = common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
    const principals = envelope.getIdentitiesList().map(principalOf);
    const nOutOf = envelope.getRule()?.getNOutOf();
    const leaves = nOutOf?.getRulesList() ?? [];
    if (nOutOf === undefined || leaves.some((r) => !r.hasSignedBy())) return undefined;
    const signers = leaves.map((r) => principals[r.getSignedBy()]);
    if (signers.some((p) => p === undefined || (p.role !== 'admin' && p.role !== 'member'))) return undefined;
    const msps = [...new Set(signers.map((p) => p?.mspId as string))];
    // An MSP named twice takes one admin's signature only when one signature is asked for.
    if (msps.length !== signers.length && nOutOf.getN() > 1) return undefined;
    return { msps: msps.sort(), count: Math.min(nOutOf.getN(), msps.length) };
  }
  return undefined;
}
