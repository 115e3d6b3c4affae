import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SlackEmulator } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import type { TestRedis } from '../support/redis.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Who may do what to whom, decided over signed HTTP by the real bot on a real Redis: requester org
 * × target org × role × command × policy (the defaults, a tightened configuration, `approval: none`)
 * × channel (own network, another network, unbound). Each case asserts what happened (a job queued,
 * or a card asking exactly the orgs it should) and what did not (no job, no approval request).
 * The bots run without workers: nothing queued here is acted on. The CA's side of these decisions
 * is tried against a real fabric-ca-server in test/env/ca-trust.test.ts.
 */
const ALPHA = 'C0ALPHA';
const BETA = 'C0BETA';
const UNBOUND = 'C0NOWHERE';

const org = (name: string, port: number): string =>
  `      - { name: ${name}, mspId: ${name === 'org1' ? 'Org1' : 'Org2'}MSP, ` +
  `ca: { url: "https://127.0.0.1:${port}", registrarSecret: ${name}-r }, peers: { statefulSet: ${name}-peer, service: ${name}-peer } }`;
const BASE = [
  'networks:',
  '  - name: alpha',
  '    namespace: fabric-alpha',
  `    channels: [${ALPHA}]`,
  '    orgs:',
  org('org1', 7054),
  org('org2', 8054),
  '  - name: beta',
  '    namespace: fabric-beta',
  `    channels: [${BETA}]`,
  '    orgs:',
  org('org1', 9054),
  org('org2', 10054),
  'members:',
  '  - { user: U0O1, network: alpha, org: org1, role: operator }',
  '  - { user: U0V1, network: alpha, org: org1, role: viewer }',
  '  - { user: U0A1, network: alpha, org: org1, role: admin }',
  '  - { user: U0O2, network: alpha, org: org2, role: operator }',
  '  - { user: U0A2, network: alpha, org: org2, role: admin }',
  '  - { user: U0B1, network: beta, org: org1, role: operator }',
  'chaincode: { allowedRegistries: [registry.example.com] }',
].join('\n');

const POLICIES = {
  default: '',
  tightened: [
    'policies:',
    '  "peers scale": { role: admin, approval: { orgs: all, rule: ALL } }',
    '  "cert enroll": { approval: { orgs: requester } }',
    // Only the role changes: the built-in multi-org approval stays.
    '  "chaincode deploy": { role: admin }',
    '  "cert revoke": { allowOtherOrgs: true }',
    '  ping: { approval: { orgs: all, rule: MAJORITY } }',
  ].join('\n'),
  none: [
    'policies:',
    '  "peers scale": { approval: none }',
    '  "cert revoke": { approval: none }',
    '  "chaincode deploy": { approval: none }',
    '  "cert enroll": { approval: none }',
  ].join('\n'),
} as const;
type Policy = keyof typeof POLICIES;

type Outcome = { job: string; approvedByOrgs?: string[] } | { card: string[] } | { answer: RegExp } | { refused: RegExp };
type Case = [policy: Policy, user: string, channel: string, command: string, expected: Outcome];

const notBound = { refused: /This channel is not bound to a Fabric network/ };
const notMember = (network: string): Outcome => ({ refused: new RegExp(`not a member of any organisation of network \\*${network}\\*`) });
const othersOrg = (target: string): Outcome => ({ refused: new RegExp(`acts on ${target}, and only ${target}'s members may ask for it`) });
const needs = (role: string, you: string, extra = ''): Outcome => ({
  refused: new RegExp(`needs the ${role} role${extra}[^;]*; you are ${you}`),
});

const cases: Case[] = [
  // peers scale ORG: the target org's members only; approved by the target org.
  ['default', 'U0O1', ALPHA, 'peers scale org1 2', { card: ['org1'] }],
  ['default', 'U0A1', ALPHA, 'peers scale org1 2', { card: ['org1'] }],
  ['default', 'U0V1', ALPHA, 'peers scale org1 2', needs('operator', 'viewer in org1')],
  ['default', 'U0O2', ALPHA, 'peers scale org1 2', othersOrg('org1')],
  ['default', 'U0A2', ALPHA, 'peers scale org1 2', othersOrg('org1')],
  ['default', 'U0O1', ALPHA, 'peers scale org2 2', othersOrg('org2')],
  ['default', 'U0O2', ALPHA, 'peers scale org2 2', { card: ['org2'] }],
  ['default', 'U0O1', BETA, 'peers scale org1 2', notMember('beta')],
  ['default', 'U0O1', UNBOUND, 'peers scale org1 2', notBound],
  ['default', 'U0B1', ALPHA, 'peers scale org1 2', notMember('alpha')],
  ['default', 'U0B1', BETA, 'peers scale org1 2', { card: ['org1'] }],
  ['default', 'U0O1', ALPHA, 'peers scale org9 2', { refused: /Network alpha has no org `org9`/ }],
  // cert enroll / register / renew / revoke / show ORG
  ['default', 'U0O1', ALPHA, 'cert enroll org1 app1', { job: 'cert.enroll' }],
  ['default', 'U0V1', ALPHA, 'cert enroll org1 app1', needs('operator', 'viewer in org1')],
  ['default', 'U0O2', ALPHA, 'cert enroll org1 app1', othersOrg('org1')],
  ['default', 'U0O1', ALPHA, 'cert enroll org2 app2', othersOrg('org2')],
  ['default', 'U0O2', ALPHA, 'cert enroll org2 app2', { job: 'cert.enroll' }],
  ['default', 'U0O1', ALPHA, 'cert enroll org1 adm1 --type admin', needs('admin', 'operator in org1', ' \\(for an admin identity')],
  ['default', 'U0A1', ALPHA, 'cert enroll org1 adm1 --type admin', { card: ['org1'] }],
  ['default', 'U0A2', ALPHA, 'cert enroll org1 adm1 --type admin', othersOrg('org1')],
  ['default', 'U0O1', ALPHA, 'cert register org1 ord1 --type orderer', needs('admin', 'operator in org1', ' \\(for an orderer identity')],
  ['default', 'U0A1', ALPHA, 'cert register org1 ord1 --type orderer', { card: ['org1'] }],
  [
    'default',
    'U0O1',
    ALPHA,
    'cert register org1 dev1 --attrs hf.Registrar.Roles=client',
    { refused: /hf\.Registrar\.Roles is a Fabric CA privilege/ },
  ],
  [
    'default',
    'U0A1',
    ALPHA,
    'cert register org1 dev1 --attrs hf.Revoker=true,site=lab',
    { refused: /hf\.Revoker is a Fabric CA privilege/ },
  ],
  [
    'default',
    'U0A1',
    ALPHA,
    'cert register org1 dev1 --attrs HF.IntermediateCA=true',
    { refused: /HF\.IntermediateCA is a Fabric CA privilege/ },
  ],
  ['default', 'U0O1', ALPHA, 'cert register org1 dev1 --attrs site=lab', { job: 'cert.register' }],
  ['default', 'U0O1', ALPHA, 'cert renew org1 app1', { job: 'cert.renew' }],
  ['default', 'U0O2', ALPHA, 'cert renew org1 app1', othersOrg('org1')],
  ['default', 'U0O2', ALPHA, 'cert revoke org2 app2', { card: ['org2'] }],
  ['default', 'U0O1', ALPHA, 'cert revoke org2 app2', othersOrg('org2')],
  ['default', 'U0V1', ALPHA, 'cert show org2 app2', othersOrg('org2')],
  // chaincode deploy: every org's admins; images only from allowed registries.
  ['default', 'U0O1', ALPHA, 'chaincode deploy cc 1.0', { card: ['org1', 'org2'] }],
  ['default', 'U0O2', ALPHA, 'chaincode deploy cc 1.0', { card: ['org1', 'org2'] }],
  ['default', 'U0V1', ALPHA, 'chaincode deploy cc 1.0', needs('operator', 'viewer in org1')],
  [
    'default',
    'U0O1',
    ALPHA,
    'chaincode deploy cc 1.0 --image docker.io/evil/miner:1',
    { refused: /--image docker\.io\/evil\/miner:1 is not from a registry the configuration allows/ },
  ],
  ['default', 'U0O1', ALPHA, 'chaincode deploy cc 1.0 --image registry.example.com/cc:1.0', { card: ['org1', 'org2'] }],
  ['default', 'U0O1', UNBOUND, 'chaincode deploy cc 1.0', notBound],
  // network-wide commands
  ['default', 'U0V1', ALPHA, 'ping', { job: 'ping' }],
  ['default', 'U0B1', ALPHA, 'ping', notMember('alpha')],
  ['default', 'U0O1', BETA, 'ping', notMember('beta')],
  ['default', 'U0O1', ALPHA, 'audit', { answer: /U0O1 command|No audit entries/ }],
  ['default', 'U0V1', ALPHA, 'audit', needs('operator', 'viewer in org1')],
  ['default', 'U0V1', ALPHA, 'jobs', { answer: /queued \/fabric|No jobs/ }],
  ['default', 'U0V1', UNBOUND, 'jobs', notBound],

  // Tightened: stricter roles and more approval, never less.
  ['tightened', 'U0O1', ALPHA, 'peers scale org1 2', needs('admin', 'operator in org1')],
  ['tightened', 'U0A1', ALPHA, 'peers scale org1 2', { card: ['org1', 'org2'] }],
  ['tightened', 'U0A2', ALPHA, 'peers scale org1 2', othersOrg('org1')],
  ['tightened', 'U0O1', ALPHA, 'cert enroll org1 app1', { card: ['org1'] }],
  ['tightened', 'U0O2', ALPHA, 'cert enroll org1 app1', othersOrg('org1')],
  ['tightened', 'U0A1', ALPHA, 'cert enroll org1 adm1 --type admin', { card: ['org1'] }],
  ['tightened', 'U0O1', ALPHA, 'chaincode deploy cc 1.0', needs('admin', 'operator in org1')],
  ['tightened', 'U0A1', ALPHA, 'chaincode deploy cc 1.0', { card: ['org1', 'org2'] }],
  // allowOtherOrgs: an org1 operator may ask to revoke in org2, and org2 (not org1) approves.
  ['tightened', 'U0O1', ALPHA, 'cert revoke org2 app2', { card: ['org2'] }],
  ['tightened', 'U0O2', ALPHA, 'cert revoke org2 app2', { card: ['org2'] }],
  ['tightened', 'U0O1', ALPHA, 'cert enroll org2 app2', othersOrg('org2')],
  ['tightened', 'U0V1', ALPHA, 'ping', { card: ['org1', 'org2'] }],
  ['tightened', 'U0V1', UNBOUND, 'ping', notBound],

  // approval: none removes approvals, but not org scope, roles, or the floor for admin identities.
  ['none', 'U0O1', ALPHA, 'peers scale org1 2', { job: 'peers.scale' }],
  ['none', 'U0O2', ALPHA, 'peers scale org1 2', othersOrg('org1')],
  ['none', 'U0V1', ALPHA, 'peers scale org1 2', needs('operator', 'viewer in org1')],
  ['none', 'U0O2', ALPHA, 'peers scale org2 2', { job: 'peers.scale' }],
  ['none', 'U0O1', ALPHA, 'cert enroll org1 app1', { job: 'cert.enroll' }],
  ['none', 'U0O1', ALPHA, 'cert enroll org1 adm1 --type admin', needs('admin', 'operator in org1', ' \\(for an admin identity')],
  ['none', 'U0A1', ALPHA, 'cert enroll org1 adm1 --type admin', { card: ['org1'] }],
  ['none', 'U0O2', ALPHA, 'cert revoke org2 app2', { job: 'cert.revoke' }],
  ['none', 'U0O1', ALPHA, 'cert revoke org2 app2', othersOrg('org2')],
  // Without votes, no org's key approves a chaincode except the requesting admin's own org.
  ['none', 'U0O1', ALPHA, 'chaincode deploy cc 1.0', { job: 'chaincode.deploy', approvedByOrgs: [] }],
  ['none', 'U0A2', ALPHA, 'chaincode deploy cc 1.0', { job: 'chaincode.deploy', approvedByOrgs: ['org2'] }],
  ['none', 'U0B1', ALPHA, 'chaincode deploy cc 1.0', notMember('alpha')],
];

/** One Redis and one bot per policy; the default policy's emulator is everyone's. */
const stacks = new Map<Policy, Stack>();
let slack: SlackEmulator;
const work = mkdtempSync(path.join(os.tmpdir(), 'fco-matrix-'));

beforeAll(async () => {
  for (const policy of Object.keys(POLICIES) as Policy[]) {
    const file = path.join(work, `${policy}.yaml`);
    writeFileSync(file, `${BASE}\n${POLICIES[policy]}\n`);
    const shared = stacks.get('default')?.slack;
    // A bot alone: requests are decided and queued, and no worker acts on them.
    const stack = await startStack({
      secret: 'matrix-secret',
      token: 'xoxb-matrix-token',
      channels: [ALPHA, BETA, UNBOUND],
      users: ['U0O1', 'U0V1', 'U0A1', 'U0O2', 'U0A2', 'U0B1'],
      config: file,
      bot: 'bot',
      ...(shared === undefined ? {} : { slack: shared }),
    });
    stacks.set(policy, stack);
  }
  slack = (stacks.get('default') as Stack).slack;
});

afterAll(async () => {
  // The emulator's owner last.
  for (const stack of [...stacks.values()].reverse()) await stack.stop();
  rmSync(work, { recursive: true, force: true });
});

const jobKeys = async (redis: TestRedis): Promise<string[]> =>
  (await redis.client.keys('fco:ops-*')).filter((k) => /^fco:ops-[a-z]+:[a-z0-9]{12}$/.test(k));
const approvalKeys = async (redis: TestRedis): Promise<string[]> =>
  (await redis.client.keys('fco:approval:*')).filter((k) => /^fco:approval:[a-z0-9]{12}$/.test(k));

async function decide([policy, user, channel, text, expected]: Case): Promise<string | undefined> {
  const stack = stacks.get(policy) as Stack;
  const redis = stack.redis;
  const [jobsBefore, approvalsBefore] = [await jobKeys(redis), await approvalKeys(redis)];
  const res = await stack.command(text, { user, channel });
  if (res.status !== 200) return `HTTP ${res.status}`;
  const answer = (await res.answer(10_000)).text ?? '';
  const newJobs = (await jobKeys(redis)).filter((k) => !jobsBefore.includes(k));
  const newApprovals = (await approvalKeys(redis)).filter((k) => !approvalsBefore.includes(k));
  const got = `answer "${answer}", ${newJobs.length} new jobs, ${newApprovals.length} new approval requests`;
  if ('refused' in expected || 'answer' in expected) {
    const pattern = 'refused' in expected ? expected.refused : expected.answer;
    return pattern.test(answer) && newJobs.length === 0 && newApprovals.length === 0
      ? undefined
      : `expected ${String(pattern)} and nothing queued; got ${got}`;
  }
  if ('job' in expected) {
    if (newJobs.length !== 1 || newApprovals.length !== 0) return `expected one ${expected.job} job; got ${got}`;
    const job = await redis.client.hgetall(newJobs[0] as string);
    if (job.name !== expected.job) return `expected a ${expected.job} job, got ${job.name}`;
    const params = (JSON.parse(job.data ?? '{}') as { params: { approvedByOrgs?: string[] } }).params;
    if (expected.approvedByOrgs !== undefined && JSON.stringify(params.approvedByOrgs) !== JSON.stringify(expected.approvedByOrgs))
      return `expected approvedByOrgs ${JSON.stringify(expected.approvedByOrgs)}, got ${JSON.stringify(params.approvedByOrgs)}`;
    return undefined;
  }
  if (newJobs.length !== 0 || newApprovals.length !== 1) return `expected an approval request of ${expected.card.join(', ')}; got ${got}`;
  const data = JSON.parse((await redis.client.hget(newApprovals[0] as string, 'data')) ?? '{}') as { policy: { orgs: string[] } };
  if (JSON.stringify(data.policy.orgs) !== JSON.stringify(expected.card))
    return `expected the approval of ${expected.card.join(', ')}, asked ${data.policy.orgs.join(', ')}`;
  const id = (newApprovals[0] as string).split(':').at(-1) as string;
  await eventually('its card', () =>
    stack.slack.messages(channel).find((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``)),
  );
  return undefined;
}

describe('the decision matrix', () => {
  it(`decides ${cases.length} cases as the policies say, queuing and asking nothing it should not`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const wrong: string[] = [];
    for (const c of cases) {
      const problem = await decide(c);
      if (problem !== undefined) wrong.push(`${c[0]} / ${c[1]} in ${c[2]}: ${c[3]}: ${problem}`);
    }
    expect(wrong).toEqual([]);
    expect(slack.problems).toEqual([]);
  }, 180_000);
});
