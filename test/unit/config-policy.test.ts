import { describe, expect, it } from '@jest/globals';
import { common } from '@hyperledger/fabric-protos';
import { adminsDemand, evaluatePolicy, type PolicySigner } from '../../src/fabric/config-policy.js';
import { parseSignaturePolicy } from '../../src/fabric/policy.js';

// The Slack rule of a channel update is raised to what adminsDemand says Fabric asks. It must never
// ask less: for every policy it reduces, `count` admins of distinct MSPs among `msps` satisfy
// Fabric's evaluation and `count - 1` do not, whichever of them sign.

function signaturePolicy(rule: string): common.ConfigPolicy {
  const policy = new common.Policy();
  policy.setType(common.Policy.PolicyType.SIGNATURE);
  policy.setValue(parseSignaturePolicy(rule).serializeBinary());
  const p = new common.ConfigPolicy();
  p.setPolicy(policy);
  return p;
}

function implicitMeta(rule: 'ANY' | 'ALL' | 'MAJORITY', sub: string): common.ConfigPolicy {
  const meta = new common.ImplicitMetaPolicy();
  meta.setRule(common.ImplicitMetaPolicy.Rule[rule]);
  meta.setSubPolicy(sub);
  const policy = new common.Policy();
  policy.setType(common.Policy.PolicyType.IMPLICIT_META);
  policy.setValue(meta.serializeBinary());
  const p = new common.ConfigPolicy();
  p.setPolicy(policy);
  return p;
}

/** A channel whose application has these orgs, each with the given Admins rule, and Application Admins as given. */
function channelWith(
  orgAdmins: Record<string, string>,
  applicationAdmins: common.ConfigPolicy,
  channelPolicy?: common.ConfigPolicy,
): common.Config {
  const application = new common.ConfigGroup();
  for (const [msp, rule] of Object.entries(orgAdmins)) {
    const org = new common.ConfigGroup();
    org.getPoliciesMap().set('Admins', signaturePolicy(rule));
    application.getGroupsMap().set(msp, org);
  }
  application.getPoliciesMap().set('Admins', applicationAdmins);
  const channel = new common.ConfigGroup();
  channel.getGroupsMap().set('Application', application);
  if (channelPolicy !== undefined) channel.getPoliciesMap().set('Custom', channelPolicy);
  const config = new common.Config();
  config.setChannelGroup(channel);
  return config;
}

const admin = (mspId: string): PolicySigner => ({ mspId, roles: new Set(['member', 'admin']) });

/** Every choice of k of the items. */
function choose<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  return items.flatMap((item, i) => choose(items.slice(i + 1), k - 1).map((rest) => [item, ...rest]));
}

function expectExact(config: common.Config, path: string, msps: string[], count: number): void {
  expect(adminsDemand(config, path)).toEqual({ msps, count });
  for (const signers of choose(msps, count)) expect(evaluatePolicy(config, path, signers.map(admin)).satisfied).toBe(true);
  for (const signers of choose(msps, count - 1)) expect(evaluatePolicy(config, path, signers.map(admin)).satisfied).toBe(false);
}

const three = { A: "OR('A.admin')", B: "OR('B.admin')", C: "OR('C.admin')" };

describe('adminsDemand: what a policy asks, as a count of admins, never less than Fabric', () => {
  it('implicit meta policies over orgs whose Admins take one admin', () => {
    expectExact(channelWith(three, implicitMeta('MAJORITY', 'Admins')), '/Channel/Application/Admins', ['A', 'B', 'C'], 2);
    expectExact(channelWith(three, implicitMeta('ANY', 'Admins')), '/Channel/Application/Admins', ['A', 'B', 'C'], 1);
    expectExact(channelWith(three, implicitMeta('ALL', 'Admins')), '/Channel/Application/Admins', ['A', 'B', 'C'], 3);
  });

  it('an org whose Admins takes its admin or its member still takes one signature', () => {
    const orgs = { ...three, A: "OR('A.admin', 'A.member')" };
    expectExact(channelWith(orgs, implicitMeta('MAJORITY', 'Admins')), '/Channel/Application/Admins', ['A', 'B', 'C'], 2);
  });

  it('n-of signature policies over admins of distinct MSPs', () => {
    const config = channelWith(three, implicitMeta('ANY', 'Admins'), signaturePolicy("OutOf(2, 'A.admin', 'B.admin', 'C.admin')"));
    expectExact(config, '/Channel/Custom', ['A', 'B', 'C'], 2);
  });

  it('a policy every sub-group must satisfy (the channel’s Admins): the fewest admins that satisfy it whichever sign', () => {
    // /Channel/Admins: MAJORITY of the Application's and the Orderer's Admins, that is both.
    const config = channelWith(three, implicitMeta('MAJORITY', 'Admins'));
    const orderer = new common.ConfigGroup();
    const ordering = new common.ConfigGroup();
    ordering.getPoliciesMap().set('Admins', signaturePolicy("OR('O.admin')"));
    orderer.getGroupsMap().set('O', ordering);
    orderer.getPoliciesMap().set('Admins', implicitMeta('MAJORITY', 'Admins'));
    const channel = config.getChannelGroup() as common.ConfigGroup;
    channel.getGroupsMap().set('Orderer', orderer);
    channel.getPoliciesMap().set('Admins', implicitMeta('MAJORITY', 'Admins'));
    const msps = ['A', 'B', 'C', 'O'];
    // Two of A, B, C and O satisfy Fabric; a count over all four must be 4 to be sure of O.
    expect(adminsDemand(config, '/Channel/Admins')).toEqual({ msps, count: 4 });
    for (const signers of choose(msps, 4)) expect(evaluatePolicy(config, '/Channel/Admins', signers.map(admin)).satisfied).toBe(true);
    expect(evaluatePolicy(config, '/Channel/Admins', ['A', 'B', 'C'].map(admin)).satisfied).toBe(false);
    // Where the sub-groups need not all agree, no count is given.
    channel.getPoliciesMap().set('Admins', implicitMeta('ANY', 'Admins'));
    expect(adminsDemand(config, '/Channel/Admins')).toBeUndefined();
  });

  it('anything else is left to Fabric’s own evaluation', () => {
    // Two admins of one org, a peer's signature, a nested rule: no count of admins says it.
    const twoOfA = channelWith({ ...three, A: "AND('A.admin', 'A.admin')" }, implicitMeta('MAJORITY', 'Admins'));
    expect(adminsDemand(twoOfA, '/Channel/Application/Admins')).toBeUndefined();
    const peer = channelWith(three, implicitMeta('ANY', 'Admins'), signaturePolicy("OR('A.peer', 'B.admin')"));
    expect(adminsDemand(peer, '/Channel/Custom')).toBeUndefined();
    const nested = channelWith(three, implicitMeta('ANY', 'Admins'), signaturePolicy("AND('A.admin', OR('B.admin', 'C.admin'))"));
    expect(adminsDemand(nested, '/Channel/Custom')).toBeUndefined();
    expect(adminsDemand(nested, '/Channel/Nowhere')).toBeUndefined();
  });
});
