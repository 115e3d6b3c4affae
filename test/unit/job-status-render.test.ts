import { describe, expect, it } from '@jest/globals';
import { renderJobStatus } from '../../src/bot/render/job-status.js';
import type { JobView } from '../../src/jobs/engine/types.js';

const PEER_DOWN = 'the peer 127.0.0.1:9051 is unavailable: connect ECONNREFUSED 127.0.0.1:9051; gave up after waiting 300 s';

function view(over: Partial<JobView>): JobView {
  return {
    id: 'a1b2c3',
    type: 'chaincode.deploy',
    command: '/fabric chaincode deploy basic 1.0',
    requester: { userId: 'U0ALICE' },
    channel: 'C0OPS',
    network: 'testnet',
    state: 'running',
    steps: [],
    attempt: 1,
    maxAttempts: 3,
    queuedAt: 0,
    ...over,
  };
}

const shown = (v: JobView): string => JSON.stringify(renderJobStatus(v).blocks);

describe('why a job is not done, as its status message says it', () => {
  it('waiting to retry: the error it will retry after', () => {
    expect(shown(view({ state: 'retrying', error: PEER_DOWN }))).toContain(`*Will retry after:* ${PEER_DOWN}`);
  });

  it('while a retry runs: which attempt failed, and why', () => {
    const text = shown(view({ state: 'running', attempt: 2, error: PEER_DOWN }));
    expect(text).toContain(`*Attempt 1 failed:* ${PEER_DOWN}`);
    expect(text).toContain('attempt 2 of 3');
  });

  it('failed for good: why', () => {
    expect(shown(view({ state: 'failed', attempt: 3, error: PEER_DOWN, startedAt: 0, finishedAt: 1000 }))).toContain(`*Why:* ${PEER_DOWN}`);
  });

  it('succeeded after a failed attempt: no error shown', () => {
    expect(shown(view({ state: 'succeeded', attempt: 2, error: PEER_DOWN, result: { summary: 'deployed' } }))).not.toContain(PEER_DOWN);
  });
});

describe('a job that failed on a stale plan offers to ask again', () => {
  const stale = (over: Partial<JobView>): JobView =>
    view({ state: 'failed', command: '/fabric channel acl qscc/GetChainInfo /Channel/Application/Writers', error: 'moved', ...over });
  const againButton = (v: JobView) =>
    (renderJobStatus(v).blocks ?? [])
      .flatMap((b) => (b.type === 'actions' ? b.elements : []))
      .find((e) => e.type === 'button' && e.action_id === 'job_request_again');

  it('carries the network and the command as typed, run again by whoever clicks', () => {
    expect(againButton(stale({ requestAgain: true }))).toMatchObject({
      value: 'testnet/channel acl qscc/GetChainInfo /Channel/Application/Writers',
    });
  });

  it('is not offered for other failures, nor while the job is retrying', () => {
    expect(againButton(stale({}))).toBeUndefined();
    expect(againButton(stale({ state: 'retrying', requestAgain: true }))).toBeUndefined();
  });
});

describe('a succeeded job offers the commands its result suggests', () => {
  const next = [
    { label: 'Approve govcc 1.0 as org3', command: 'chaincode approve govcc org3 --channel governance' },
    { label: 'Approve basic 2.0 as org3', command: 'chaincode approve basic org3 --channel governance' },
  ];
  const buttons = (v: JobView) =>
    (renderJobStatus(v).blocks ?? [])
      .flatMap((b) => (b.type === 'actions' ? b.elements : []))
      .filter((e) => e.type === 'button' && e.action_id?.startsWith('job_next_command'));

  it('one button each, with the network and the command, asked by whoever clicks', () => {
    expect(buttons(view({ state: 'succeeded', result: { summary: 'added', next } }))).toEqual([
      expect.objectContaining({ action_id: 'job_next_command_0', value: 'testnet/chaincode approve govcc org3 --channel governance' }),
      expect.objectContaining({ action_id: 'job_next_command_1', value: 'testnet/chaincode approve basic org3 --channel governance' }),
    ]);
  });

  it('none while the job runs, and none for a command too long for a button', () => {
    expect(buttons(view({ state: 'running', result: { summary: 'added', next } }))).toEqual([]);
    const long = [{ label: 'too long', command: `chaincode approve ${'x'.repeat(2100)} org3` }];
    expect(buttons(view({ state: 'succeeded', result: { summary: 'added', next: long } }))).toEqual([]);
  });
});
