import { describe, expect, it } from '@jest/globals';
import { renderStatus } from '../../src/bot/render/status.js';
import type { NetworkStatus } from '../../src/jobs/services/queries.js';
import { raftLeadershipOf } from '../../src/fabric/operations.js';
import { validateBlocks } from '../slack/block-kit.js';

const peer = (name: string, org: string) => ({ name, org, component: 'peer', phase: 'Running', ready: true, restarts: 0, ageSeconds: 60 });

const status = (ledgers: NetworkStatus['ledgers']): NetworkStatus => ({
  network: 'demo',
  namespace: 'fabric-demo',
  pods: [peer('org1-peer-0', 'org1'), peer('org1-peer-1', 'org1'), peer('org2-peer-0', 'org2')],
  ledgers,
});

describe('ledger heights on /fabric status', () => {
  const ledgers: NetworkStatus['ledgers'] = [
    { channel: 'mychannel', org: 'org1', pod: 'org1-peer-0', height: 120, behind: 0 },
    { channel: 'mychannel', org: 'org1', pod: 'org1-peer-1', height: 110, behind: 10 },
    { channel: 'mychannel', org: 'org2', pod: 'org2-peer-0', height: 118, behind: 2 },
  ];

  it('flags a peer more than N blocks behind, and only that one', () => {
    const text = JSON.stringify(
      renderStatus(status(ledgers), { withMetrics: false, page: 1, command: '/fabric status', behindLimit: 5 }).blocks,
    );
    expect(text).toContain('`mychannel` — 120 blocks');
    expect(text).toContain(':warning: `org1-peer-1` 110, *10 blocks behind*');
    expect(text).toContain(':white_check_mark: `org2-peer-0` 118');
    expect(text).toContain(':white_check_mark: `org1-peer-0` 120');
  });

  it('with a tolerance of 0, flags every peer below the top', () => {
    const r = renderStatus(status(ledgers), { withMetrics: false, page: 1, command: '/fabric status', behindLimit: 0 });
    expect(JSON.stringify(r.blocks)).toContain(':warning: `org2-peer-0` 118, *2 blocks behind*');
    expect(r.text).toBe('demo: 3/3 Fabric pods ready, 2 peers behind or unreachable');
  });

  it('says which peer could not be asked, and why', () => {
    const r = renderStatus(
      status([{ channel: 'mychannel', org: 'org2', pod: 'org2-peer-0', error: '14 UNAVAILABLE: No connection established' }]),
      { withMetrics: false, page: 1, command: '/fabric status', behindLimit: 5 },
    );
    expect(JSON.stringify(r.blocks)).toContain(':x: `org2-peer-0` unreachable: 14 UNAVAILABLE: No connection established');
  });

  it('stays inside Block Kit’s limits with 300 peers on 3 channels', () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      ['a', 'b', 'c'].map((c) => ({
        channel: `channel-${c}`,
        org: 'org1',
        pod: `org1-peer-${i}`,
        height: 1000 - (i % 20),
        behind: i % 20,
      })),
    ).flat();
    const r = renderStatus(status(many), { withMetrics: false, page: 1, command: '/fabric status', behindLimit: 5 });
    expect(validateBlocks(r.blocks)).toEqual([]);
    expect(JSON.stringify(r.blocks)).toContain('more_');
  });
});

describe('the ordering service on /fabric status', () => {
  it('shows each orderer’s place on each channel: active consenters, a follower, a failed one, one that did not answer', () => {
    const orderers: NetworkStatus['orderers'] = [
      { channel: 'mychannel', orderer: 'orderer0', relation: 'consenter', state: 'active', height: 12 },
      { channel: 'mychannel', orderer: 'orderer1', relation: 'follower', state: 'active', height: 12 },
      { channel: 'mychannel', orderer: 'orderer2', relation: 'consenter', state: 'failed', height: 9 },
      { channel: 'ops2', orderer: 'orderer0', error: 'orderer0-admin:9443: no answer within 4 s' },
    ];
    const r = renderStatus({ ...status([]), orderers }, { withMetrics: false, page: 1, command: '/fabric status', behindLimit: 5 });
    const text = JSON.stringify(r.blocks);
    expect(text).toContain('*Ordering service*');
    expect(text).toContain(':white_check_mark: `orderer0` consenter, active, height 12');
    expect(text).toContain(':large_blue_circle: `orderer1` follower, active, height 12');
    expect(text).toContain(':warning: `orderer2` consenter, failed, height 9');
    expect(text).toContain(':x: `orderer0` orderer0-admin:9443: no answer within 4 s');
    expect(validateBlocks(r.blocks)).toEqual([]);
  });

  it('names the Raft leader where the orderers report it, and warns when every consenter answers that it does not lead', () => {
    const orderers: NetworkStatus['orderers'] = [
      { channel: 'mychannel', orderer: 'orderer0', relation: 'consenter', state: 'active', height: 12, leader: false },
      { channel: 'mychannel', orderer: 'orderer1', relation: 'consenter', state: 'active', height: 12, leader: true },
      { channel: 'ops2', orderer: 'orderer0', relation: 'consenter', state: 'active', height: 3, leader: false },
      { channel: 'ops2', orderer: 'orderer1', relation: 'consenter', state: 'active', height: 3, leader: false },
      { channel: 'gov', orderer: 'orderer0', relation: 'consenter', state: 'active', height: 5 },
    ];
    const r = renderStatus({ ...status([]), orderers }, { withMetrics: false, page: 1, command: '/fabric status', behindLimit: 5 });
    const text = JSON.stringify(r.blocks);
    expect(text).toContain(':white_check_mark: `orderer1` consenter, active, height 12, *Raft leader*');
    expect(text).toContain(':white_check_mark: `orderer0` consenter, active, height 12\\n');
    expect(text.match(/no consenter says it leads the Raft cluster/g)).toHaveLength(1);
    // Leadership not reported (no metrics) is no warning.
    expect(text).toContain(':white_check_mark: `orderer0` consenter, active, height 5');
    expect(validateBlocks(r.blocks)).toEqual([]);
  });
});

describe("an orderer's Raft leadership from its Prometheus metrics", () => {
  it('reads consensus_etcdraft_is_leader per channel, and nothing else', () => {
    const metrics = [
      '# HELP consensus_etcdraft_is_leader The leader status of the current node: 1 if it is the leader else 0.',
      '# TYPE consensus_etcdraft_is_leader gauge',
      'consensus_etcdraft_is_leader{channel="mychannel"} 1',
      'consensus_etcdraft_is_leader{channel="governance"} 0',
      'consensus_etcdraft_cluster_size{channel="mychannel"} 3',
      'consensus_etcdraft_leader_changes{channel="ops2"} 1',
    ].join('\n');
    expect([...raftLeadershipOf(metrics)]).toEqual([
      ['mychannel', true],
      ['governance', false],
    ]);
  });
});
