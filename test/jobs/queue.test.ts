import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { JobQueue } from '../../src/jobs/engine/queue.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import type { JobRequest } from '../../src/jobs/engine/types.js';

let redis: TestRedis;
let queue: JobQueue;

beforeAll(async () => {
  redis = await startTestRedis();
  queue = new JobQueue(redis.client, { attempts: 1, backoffMs: 1000 });
});

afterAll(async () => {
  await queue.close();
  await redis.stop();
});

const request = (): JobRequest => ({
  type: 'ping',
  params: {},
  command: '/fabric ping',
  requester: { userId: 'U0ALICE' },
  channel: 'C0OPS',
  network: 'testnet',
  requestedAt: Date.now(),
});

it('makes one job, reported as queued once, of deliveries of one request that arrive together', async () => {
  for (const id of ['race1', 'race2', 'race3']) {
    const answers = await Promise.all(Array.from({ length: 8 }, () => queue.enqueue(id, request())));
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect(answers.every((a) => a.id === id)).toBe(true);
    expect(await queue.queueFor('testnet').getJobCountByTypes('waiting')).toBe(Number(id.slice(-1)));
  }
});

it('reports a later delivery of a request already queued as not created', async () => {
  expect((await queue.enqueue('late1', request())).created).toBe(true);
  expect((await queue.enqueue('late1', request())).created).toBe(false);
});
