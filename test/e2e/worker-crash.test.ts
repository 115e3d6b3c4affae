import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
const startWorker = () => stack.startWorker();
const statusOf = (jobId: string): StoredMessage[] => stack.statusMessages(jobId);
const reads = (m: StoredMessage | undefined): string => stack.lastText(m);

async function requestPing(hold: number): Promise<string> {
  const before = stack.slack.messages().filter((m) => m.ephemeral).length;
  const res = await stack.command(`ping --hold ${hold}`);
  expect(res.status).toBe(200);
  return eventually('the job id', () => {
    const eph = stack.slack.messages().filter((m) => m.ephemeral);
    return eph.length > before ? /`([a-z0-9]+)`/.exec(eph.at(-1)?.text ?? '')?.[1] : undefined;
  });
}

async function auditFor(jobId: string): Promise<string[]> {
  const rows = await stack.redis.client.xrange('fco:audit', '-', '+');
  return rows.filter(([, f]) => f.includes(jobId)).map(([, f]) => f[f.indexOf('action') + 1] as string);
}

beforeAll(async () => {
  // No user groups here: the config's S0OPS cannot be read, and members listed by user must not notice.
  stack = await startStack({ secret: 'crash-signing-secret', token: 'xoxb-crash-token', bot: 'bot', env: { WORKER_LOCK_MS: '5000' } });
});

afterAll(async () => {
  await stack?.stop();
});

describe('bot and workers as separate processes', () => {
  it('a bot without a worker queues the job; it runs once a worker starts', async () => {
    const jobId = await requestPing(1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(statusOf(jobId)).toHaveLength(0);
    const w = await startWorker();
    await eventually('the job to finish', () => reads(statusOf(jobId)[0]).includes('succeeded'));
    await w.stop();
  });

  it('a worker killed with SIGKILL mid-job: another takes it up, finished exactly once, done steps not redone', async () => {
    const first = await startWorker();
    const jobId = await requestPing(8);
    await eventually('the hold step to be under way', () => reads(statusOf(jobId)[0]).includes('Hold 8000 ms'), 20_000);
    await first.kill();
    const second = await startWorker();
    const done = await eventually(
      'the job to finish on the second worker',
      () => {
        const m = statusOf(jobId)[0];
        return reads(m).includes('succeeded') ? m : undefined;
      },
      45_000,
    );
    expect(statusOf(jobId)).toHaveLength(1);
    expect(reads(done)).toContain('attempt 2 of 3');
    const actions = await auditFor(jobId);
    expect(actions.filter((a) => a === 'job.started')).toHaveLength(2);
    expect(actions.filter((a) => a === 'job.succeeded')).toHaveLength(1);
    const posts = stack.slack.calls.filter((c) => c.method === 'chat.postMessage' && JSON.stringify(c.args).includes(jobId));
    expect(posts).toHaveLength(1);
    // The steps finished before the crash kept their first timing: they were not run again.
    const job = await stack.redis.client.hget(`fco:ops-testnet:${jobId}`, 'progress');
    const steps = (JSON.parse(job ?? '{}') as { steps: Array<{ name: string; startedAt: number }> }).steps;
    const picked = steps.find((s) => s.name === 'Picked up by a worker');
    const hold = steps.find((s) => s.name === 'Hold 8000 ms');
    expect(picked).toBeDefined();
    expect((picked as { startedAt: number }).startedAt).toBeLessThan((hold as { startedAt: number }).startedAt - 2000);
    await second.stop();
  });

  it('a worker stopped with SIGTERM finishes its active job before exiting', async () => {
    const w = await startWorker();
    const jobId = await requestPing(3);
    await eventually('the job to run', () => reads(statusOf(jobId)[0]).includes('running'), 20_000);
    const code = await w.stop();
    expect(code).toBe(0);
    const status = reads(statusOf(jobId)[0]);
    if (!status.includes('succeeded')) throw new Error(`status after SIGTERM: ${status}\nworker output:\n${w.output().slice(-4000)}`);
  });
});
