import { describe, expect, it } from '@jest/globals';
import { renderApprovalCard } from '../../src/bot/render/approval.js';
import type { JobView } from '../../src/jobs/engine/types.js';
import type { ApprovalRequest, ChannelPlan } from '../../src/jobs/services/approvals.js';
import { validateBlocks } from '../slack/block-kit.js';

const plan: ChannelPlan = {
  channel: 'mychannel',
  sequence: 7,
  update: 'AAAA',
  changes: ["ACL peer/Propose of the application: Fabric's default → /Channel/Application/Writers"],
  policies: [
    {
      element: '/Channel/Application value ACLs',
      policy: '/Channel/Application/Admins',
      asks: 'MAJORITY of Admins: 2 of Org1MSP, Org2MSP',
    },
  ],
  signers: ['Org1MSP', 'Org2MSP'],
  madeAt: 0,
};

function request(over: Partial<ApprovalRequest>): ApprovalRequest {
  return {
    id: 'r1',
    jobType: 'channel.acl',
    params: {},
    command: '/fabric channel acl peer/Propose /Channel/Application/Writers',
    requester: { userId: 'U0ALICE', org: 'org1' },
    channel: 'C0OPS',
    network: 'testnet',
    policy: { orgs: ['org1', 'org2', 'org3'], rule: 'MAJORITY', approverRole: 'admin', allowSelfApproval: false, expiresAfterMs: 60_000 },
    needed: 2,
    state: 'open',
    createdAt: 0,
    expiresAt: 60_000,
    votes: [],
    signatures: [],
    ...over,
  };
}

const shown = (r: ApprovalRequest): string => {
  const { blocks } = renderApprovalCard(r);
  expect(validateBlocks(blocks)).toEqual([]);
  return JSON.stringify(blocks);
};

describe('the approval card of a channel update is its plan', () => {
  it('shows the change, the config sequence it is pinned to, what Fabric will ask and who has signed', () => {
    const text = shown(
      request({
        plan,
        signatures: [
          { org: 'org1', mspId: 'Org1MSP', user: 'U0ADMIN1', at: 1, signature: 'c2ln' },
          { org: 'org3', mspId: 'Org3MSP', user: 'U0ADMIN3', at: 2, refused: 'Org3MSP is not in /Channel/Application/Admins' },
        ],
      }),
    );
    expect(text).toContain('*Plan* for `mychannel` at config sequence 7');
    expect(text).toContain("ACL peer/Propose of the application: Fabric's default → /Channel/Application/Writers");
    expect(text).toContain('Fabric will check `/Channel/Application/Admins`: MAJORITY of Admins: 2 of Org1MSP, Org2MSP');
    expect(text).toContain(':white_check_mark: Org1MSP (<@U0ADMIN1>) · :white_circle: Org2MSP');
    expect(text).toContain("org3's signature does not count: Org3MSP is not in /Channel/Application/Admins");
  });

  it('says so when there is nothing to sign', () => {
    expect(shown(request({ plan: { ...plan, problem: '/Channel/Nobody is not a policy of the channel' } }))).toContain(
      ':warning: /Channel/Nobody is not a policy of the channel',
    );
    expect(shown(request({ plan: { ...plan, changes: [], policies: [], signers: [] } }))).toContain('nothing to change');
  });

  it('offers to ask again, on the card, when the approved job found the plan stale', () => {
    const job: JobView = {
      id: 'r1',
      state: 'failed',
      type: 'channel.acl',
      command: '/fabric channel acl peer/Propose /Channel/Application/Writers',
      requester: { userId: 'U0ALICE' },
      channel: 'C0OPS',
      network: 'testnet',
      steps: [],
      attempt: 1,
      maxAttempts: 3,
      queuedAt: 0,
    };
    const card = (over: Partial<JobView>) =>
      JSON.stringify(renderApprovalCard(request({ plan, state: 'approved' }), { ...job, ...over }).blocks);
    expect(card({ state: 'failed', requestAgain: true })).toContain(
      '"value":"testnet/channel acl peer/Propose /Channel/Application/Writers"',
    );
    expect(card({ state: 'failed' })).not.toContain('job_request_again');
    expect(card({ state: 'succeeded' })).not.toContain('job_request_again');
  });

  it('shows no plan section for other requests', () => {
    expect(shown(request({ jobType: 'peers.scale' }))).not.toContain('*Plan*');
  });
});
