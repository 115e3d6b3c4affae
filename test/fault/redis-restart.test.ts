import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Redis killed (SIGKILL, append-only file fsynced on every write) while jobs run and wait, and
 * started again from its file: every job finishes once, with one status message, and a command
 * sent while Redis was down is refused with a message instead of being lost silently.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    secret: 'redis-fault-signing-secret',
    token: 'xoxb-redis-fault-token',
    redis: { fsyncEveryWrite: true },
    bot: 'bot',
    workers: 1,
    env: { WORKER_LOCK_MS: '10000' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

const statusOf = (jobId: string): StoredMessage[] => stack.statusMessages(jobId);
const reads = (m: StoredMessage | undefined): string => stack.lastText(m);
const ephemerals = (): StoredMessage[] => stack.slack.messages().filter((m) => m.ephemeral);

async function requestPing(holdSeconds?: number): Promise<string> {
  const before = ephemerals().length;
  const res = await stack.command(holdSeconds === undefined ? 'ping' : `ping --hold ${holdSeconds}`);
  expect(res.status).toBe(200);
  return eventually('the job id', () =>
    ephemerals().length > before ? /`([a-z0-9]{12})`/.exec(ephemerals().at(-1)?.text ?? '')?.[1] : undefined,
  );
}

it('jobs running and waiting when Redis crashes all finish once after it restarts', async () => {
  // The test config runs two jobs at a time: two hold, the third waits in the queue.
  const jobs = [await requestPing(6), await requestPing(6), await requestPing(1)];
  await eventually('the first job to be holding', () => /Hold 6000 ms[^"]*1\/6/.test(reads(statusOf(jobs[0] ?? '')[0])), 20_000);

  const restarted = stack.redis.crashAndRestart(3000);
  await new Promise((r) => setTimeout(r, 500));
  const beforeRefusal = ephemerals().length;
  const t0 = Date.now();
  const res = await stack.command('ping');
  expect(res.status).toBe(200);
  expect(Date.now() - t0).toBeLessThan(3000);
  const refusal = await eventually('an answer to the command sent while Redis was down', () => ephemerals().slice(beforeRefusal)[0]);
  expect(refusal.text).toMatch(/not queued|try again/i);
  await restarted;

  for (const jobId of jobs) {
    const done = await eventually(`job ${jobId} to finish`, () => statusOf(jobId).find((m) => /succeeded|failed/.test(reads(m))), 60_000);
    expect(reads(done)).toContain('succeeded');
    expect(statusOf(jobId)).toHaveLength(1);
    const audit = (await stack.redis.client.xrange('fco:audit', '-', '+'))
      .filter(([, f]) => f.includes(jobId))
      .map(([, f]) => f[f.indexOf('action') + 1]);
    expect(audit.filter((a) => a === 'job.succeeded')).toHaveLength(1);
  }
  // The queue works as before: a new command runs.
  const after = await requestPing().catch((err: unknown) => {
    throw new Error(
      `${String(err)}; the bot answered: ${ephemerals()
        .map((m) => m.text)
        .join(' | ')}\n${stack.bot.output().slice(-3000)}`,
    );
  });
  await eventually('a job sent after the restart to finish', () => reads(statusOf(after)[0]).includes('succeeded'), 20_000);
}, 120_000);
