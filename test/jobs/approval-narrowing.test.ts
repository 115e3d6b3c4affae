import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Approvals, type ApprovalPolicy } from '../../src/jobs/services/approvals.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

// A channel update's request, once its plan says which orgs Fabric counts, asks only those: on
// a real Redis, through the same Lua the votes go through.

let redis: TestRedis;
let approvals: Approvals;
beforeAll(async () => {
  redis = await startTestRedis();
  approvals = new Approvals(redis.client);
});
afterAll(async () => redis?.stop());

const policy: ApprovalPolicy = {
  orgs: ['org1', 'org2', 'org3'],
  rule: 'ANY',
  approverRole: 'admin',
  allowSelfApproval: false,
  expiresAfterMs: 60_000,
};
let n = 0;
async function request() {
  const { request: r } = await approvals.create({
    id: `narrow${++n}`,
    jobType: 'channel.acl',
    params: {},
    command: '/fabric channel acl qscc/GetChainInfo /Channel/Application/Writers',
    requester: { userId: 'U0ALICE', org: 'org1' },
    channel: 'C0OPS',
    network: 'testnet',
    policy,
  });
  return r;
}

describe('narrowing a request to the orgs a channel policy counts', () => {
  it('asks those orgs for the count Fabric needs; a vote of another org does not count', async () => {
    const r = await request();
    expect(r.needed).toBe(1);
    expect(await approvals.narrow(r.id, ['org1', 'org2'], 2)).toBe(true);
    const narrowed = await approvals.get(r.id);
    expect(narrowed?.policy.orgs).toEqual(['org1', 'org2']);
    expect(narrowed?.needed).toBe(2);
    // A vote the bot let through before it saw the narrowing (a race) is recorded but not counted.
    expect(await approvals.vote(r, 'org3', 'U0ADMIN3', 'approve')).toBe('recorded');
    expect(await approvals.vote(r, 'org1', 'U0ADMIN1', 'approve')).toBe('recorded');
    expect(await approvals.vote(r, 'org2', 'U0ADMIN2', 'approve')).toBe('approved');
  });

  it('changes nothing once someone has voted: that vote was cast on the rule shown', async () => {
    const r = await request();
    expect(await approvals.vote(r, 'org3', 'U0ADMIN3', 'approve')).toBe('approved');
    expect(await approvals.narrow(r.id, ['org1', 'org2'], 2)).toBe(false);
    const after = await approvals.get(r.id);
    expect(after?.policy.orgs).toEqual(['org1', 'org2', 'org3']);
    expect(after?.needed).toBe(1);
  });
});
