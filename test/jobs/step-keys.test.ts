import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * A job interrupted under one release and resumed under the next: its finished steps are found by
 * their keys, whatever their titles say now, so rewording a title never runs a step twice.
 */
let stack: Stack;
let queue: Queue;
let connection: Redis;

beforeAll(async () => {
  // No bot, and the worker only once the jobs are in the queue.
  stack = await startStack({ token: 'xoxb-steps', secret: 'steps', bot: 'none' });
  connection = stack.redis.client.duplicate();
  queue = new Queue('ops-testnet', { connection, prefix: 'fco' });
});

afterAll(async () => {
  await queue?.close();
  // The queue leaves a connection it was given open, and an open one keeps jest from exiting.
  connection?.disconnect();
  await stack?.stop();
});

it('skips a finished step found by its key under an older title, and one recorded before steps had keys', async () => {
  const request = {
    type: 'ping',
    params: {},
    requester: { userId: 'U0ALICE' },
    channel: 'C0OPS',
    network: 'testnet',
    command: '/fabric ping',
    requestedAt: Date.now(),
  };
  const done = (extra: Record<string, unknown>) => ({ state: 'done', startedAt: Date.now() - 1000, endedAt: Date.now() - 900, ...extra });
  const byKey = await queue.add('ping', request, { jobId: 'resumed-by-key', attempts: 2 });
  await byKey.updateProgress({
    attempt: 1,
    steps: [done({ key: 'redis-round-trip', name: 'Measure Redis (an older title)', result: 4242 })],
  });
  const legacy = await queue.add('ping', request, { jobId: 'resumed-legacy', attempts: 2 });
  await legacy.updateProgress({ attempt: 1, steps: [done({ name: 'Redis round trip', result: 4343 })] });

  await stack.startWorker();
  const result = async (id: string): Promise<string> =>
    eventually(
      `job ${id} to finish`,
      async () => (await stack.redis.client.hget(`fco:ops-testnet:${id}`, 'returnvalue')) ?? undefined,
      20_000,
    );
  // The recorded results come back: the step did not run again (a real round trip takes ~1 ms).
  expect(await result('resumed-by-key')).toContain('"Redis round trip","value":"4242 ms"');
  expect(await result('resumed-legacy')).toContain('"Redis round trip","value":"4343 ms"');
});
