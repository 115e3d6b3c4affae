import { describe, expect, it } from '@jest/globals';
import { faultToleranceOf, quorumOf, raftSetChange } from '../../src/fabric/raft.js';

// A consenter change is signed on the card; what it does to the channel's Raft set is said there
// first: refused when the consenters left that answer are fewer than a quorum, warned when the
// channel then tolerates fewer failed orderers.
const set = (n: number): string[] => Array.from({ length: n }, (_, i) => `orderer${i}:7050`);
const all = (addresses: string[]): Set<string> => new Set(addresses);

describe('raftSetChange', () => {
  it('quorum and fault tolerance as Raft has them', () => {
    expect([1, 2, 3, 4, 5].map(quorumOf)).toEqual([1, 2, 2, 3, 3]);
    expect([1, 2, 3, 4, 5].map(faultToleranceOf)).toEqual([0, 0, 1, 1, 2]);
  });

  it('removing one of three, all answering: made, with the warning that one more down stops the channel', () => {
    const now = set(3);
    const verdict = raftSetChange(now, now.slice(0, 2), all(now));
    expect(verdict.refusal).toBeUndefined();
    expect(verdict.warning).toBe('fault tolerance drops from 1 to 0 failed orderers: with 2 consenters, any one down stops the channel');
  });

  it('removing one of three while another is down: refused, the channel would lose quorum', () => {
    const now = set(3);
    const verdict = raftSetChange(now, [now[0], now[1]] as string[], new Set([now[0], now[2]] as string[]));
    expect(verdict.refusal).toBe(
      'the channel would lose quorum: of the 2 consenters it would have, orderer1:7050 does not answer, and Raft needs 2 to order',
    );
  });

  it('removing a consenter that is down, of three: made (the two left answer)', () => {
    const now = set(3);
    expect(raftSetChange(now, now.slice(0, 2), all(now.slice(0, 2))).refusal).toBeUndefined();
  });

  it('adding a fourth: no loss of tolerance, no warning; refused when two of the four would not answer', () => {
    const now = set(3);
    const next = set(4);
    expect(raftSetChange(now, next, all(next))).toEqual({});
    expect(raftSetChange(now, next, all(next.slice(0, 2))).refusal).toMatch(/orderer2:7050, orderer3:7050 do not answer, and Raft needs 3/);
  });

  it('removing the last consenter: refused', () => {
    expect(raftSetChange(set(1), [], all(set(1))).refusal).toMatch(/without consenters/);
  });
});
