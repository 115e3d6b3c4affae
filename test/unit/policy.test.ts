import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../src/config/load.js';
import { checkVoter, effectivePolicy, imageProblem, mayCancel, type PolicyInput } from '../../src/jobs/services/policy.js';

const NETWORK = `
networks:
  - name: net
    namespace: fabric-net
    channels: [C0NET]
    orgs:
      - { name: org1, mspId: Org1MSP, ca: { url: "https://ca1:7054", registrarSecret: r1 }, peers: { statefulSet: p1, service: p1 } }
      - { name: org2, mspId: Org2MSP, ca: { url: "https://ca2:7054", registrarSecret: r2 }, peers: { statefulSet: p2, service: p2 } }
      - { name: org3, mspId: Org3MSP, ca: { url: "https://ca3:7054", registrarSecret: r3 }, peers: { statefulSet: p3, service: p3 } }
`;
const config = (policies = '') =>
  parseConfig(
    `${NETWORK}${policies === '' ? '' : `policies:\n${policies}`}\n` +
      'chaincode: { allowedRegistries: [registry.example.com, ghcr.io/acme] }\n',
    'test',
  );
const deploy = (c = config(), extra: Partial<PolicyInput> = {}) =>
  effectivePolicy(c, {
    command: 'chaincode deploy',
    defaults: { role: 'operator', approval: { orgs: 'all', rule: 'MAJORITY', approverRole: 'admin' } },
    network: c.networks[0]!,
    requesterOrg: 'org1',
    ...extra,
  });
const scale = (c = config(), extra: Partial<PolicyInput> = {}) =>
  effectivePolicy(c, {
    command: 'peers scale',
    defaults: { role: 'operator', approval: { orgs: 'requester', rule: 'ANY', approverRole: 'admin' } },
    network: c.networks[0]!,
    requesterOrg: 'org1',
    targetOrg: 'org1',
    ...extra,
  });

describe('policies merge with the command’s defaults, field by field', () => {
  it('keeps the built-in approval when the configuration only changes the role', () => {
    const p = deploy(config('  "chaincode deploy": { role: admin }'));
    expect(p.role).toBe('admin');
    expect(p.approval).toMatchObject({ orgs: ['org1', 'org2', 'org3'], rule: 'MAJORITY', approverRole: 'admin' });
  });

  it('changes only the fields given', () => {
    const p = deploy(config('  "chaincode deploy": { approval: { rule: ALL, expiresAfterHours: 2 } }'));
    expect(p.role).toBe('operator');
    expect(p.approval).toMatchObject({ orgs: ['org1', 'org2', 'org3'], rule: 'ALL', approverRole: 'admin', expiresAfterMs: 2 * 3600_000 });
  });

  it('removes an approval only when told `approval: none`', () => {
    expect(deploy(config('  "chaincode deploy": { approval: none }')).approval).toBeUndefined();
  });

  it('asks the org the command acts on, not the requester’s other org', () => {
    expect(scale(undefined, { requesterOrg: 'org2', targetOrg: 'org3' }).approval?.orgs).toEqual(['org3']);
  });

  it('asks only the target org of a cross-org request, whatever the configuration lists, and never lets its requester approve', () => {
    const c = config('  "peers scale": { allowOtherOrgs: true, approval: { orgs: [org1, org2], allowSelfApproval: true } }');
    const p = scale(c, { requesterOrg: 'org1', targetOrg: 'org2', crossOrg: true });
    expect(p.allowOtherOrgs).toBe(true);
    expect(p.approval).toMatchObject({ orgs: ['org2'], allowSelfApproval: false });
  });

  it('adds the target org’s approval to a cross-org request of a command that has none', () => {
    const c = config('  "cert enroll": { allowOtherOrgs: true, approval: none }');
    const p = effectivePolicy(c, {
      command: 'cert enroll',
      defaults: { role: 'operator' },
      network: c.networks[0]!,
      requesterOrg: 'org1',
      targetOrg: 'org2',
      crossOrg: true,
    });
    expect(p.approval).toMatchObject({ orgs: ['org2'], rule: 'ANY', approverRole: 'admin' });
  });

  it('keeps a floor the configuration cannot lower: an admin identity needs the admin role and an approval', () => {
    const c = config('  "cert enroll": { role: viewer, approval: none }');
    const floor = {
      role: 'admin' as const,
      approval: { orgs: 'requester' as const, rule: 'ANY' as const, approverRole: 'admin' as const },
      because: 'for an admin identity',
    };
    const p = effectivePolicy(c, {
      command: 'cert enroll',
      defaults: { role: 'operator' },
      floor,
      network: c.networks[0]!,
      requesterOrg: 'org1',
      targetOrg: 'org1',
    });
    expect(p.role).toBe('admin');
    expect(p.approval?.orgs).toEqual(['org1']);
    expect(p.because).toBe('for an admin identity');
  });
});

describe('votes, cancellation and images', () => {
  const request = {
    policy: { orgs: ['org1', 'org2'], rule: 'ALL' as const, approverRole: 'admin' as const, allowSelfApproval: false, expiresAfterMs: 1 },
    requester: { userId: 'U0REQ' },
    state: 'open' as const,
    expiresAt: Date.now() + 60_000,
  };
  const both = [
    { org: 'org1', role: 'admin' as const },
    { org: 'org2', role: 'admin' as const },
  ];

  it('gives a person in two orgs one vote', () => {
    expect(checkVoter({ ...request, votes: [] }, 'U0BOTH', both, Date.now())).toEqual({ ok: true, org: 'org1' });
    const after = checkVoter(
      { ...request, votes: [{ org: 'org1', user: 'U0BOTH', decision: 'approve', at: 1 }] },
      'U0BOTH',
      both,
      Date.now(),
    );
    expect(after).toEqual({ ok: false, reason: expect.stringContaining('one person has one vote') });
  });

  it('lets the requester and the target org’s operators cancel a job, and no one else', () => {
    const job = { requester: { userId: 'U0REQ' }, targetOrg: 'org2' };
    expect(mayCancel(job, 'U0REQ', [])).toBe(true);
    expect(mayCancel(job, 'U0OP2', [{ org: 'org2', role: 'operator' }])).toBe(true);
    expect(mayCancel(job, 'U0OP1', [{ org: 'org1', role: 'admin' }])).toBe(false);
    expect(mayCancel(job, 'U0VW2', [{ org: 'org2', role: 'viewer' }])).toBe(false);
    expect(mayCancel({ requester: { userId: 'U0REQ' } }, 'U0OP1', [{ org: 'org1', role: 'operator' }])).toBe(true);
  });

  it('takes chaincode images only from the registries the configuration allows', () => {
    const c = config();
    expect(imageProblem(c, undefined)).toBeUndefined();
    expect(imageProblem(c, 'registry.example.com/cc/basic:1.0')).toBeUndefined();
    expect(imageProblem(c, 'ghcr.io/acme/basic:1')).toBeUndefined();
    expect(imageProblem(c, 'ghcr.io/acme-evil/basic:1')).toContain('not from a registry the configuration allows');
    expect(imageProblem(c, 'docker.io/evil/miner:latest')).toContain('not from a registry');
    expect(imageProblem(parseConfig(NETWORK, 'test'), 'registry.example.com/cc:1')).toContain('allows no chaincode registries');
  });
});
