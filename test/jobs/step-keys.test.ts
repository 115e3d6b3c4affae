import { afterAll, beforeAll, expect, it } from '@jest/globals';
import path from 'node:path';
import { Queue } from 'bullmq';
import { SlackEmulator } from '../slack/emulator.js';
import { eventually, startApp, type AppProcess } from '../support/app-process.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

/**
 * A job interrupted under one release and resumed under the next: its finished steps are found by
 * their keys, whatever their titles say now, so rewording a title never runs a step twice.
 */
let redis: TestRedis;
let slack: SlackEmulator;
let worker: AppProcess | undefined;
let queue: Queue;

beforeAll(async () => {
  redis = await startTestRedis();
  slack = await SlackEmulator.start({ botToken: 'xoxb-steps', signingSecret: 'steps', channels: ['C0OPS'], users: [{ id: 'U0ALICE', name: 'alice' }] });
  queue = new Queue('ops-testnet', { connection: redis.client.duplicate(), prefix: 'fco' });
});

afterAll(async () => {
  await worker?.stop();
  await queue?.close();
  await slack?.stop();
  await redis?.stop();
});

it('skips a finished step found by its key under an older title, and one recorded before steps had keys', async () => {
  const request = { type: 'ping', params: {}, requester: { userId: 'U0ALICE' }, channel: 'C0OPS', network: 'testnet', command: '/fabric ping', requestedAt: Date.now() };
  const done = (extra: Record<string, unknown>) => ({ state: 'done', startedAt: Date.now() - 1000, endedAt: Date.now() - 900, ...extra });
  const byKey = await queue.add('ping', request, { jobId: 'resumed-by-key', attempts: 2 });
  await byKey.updateProgress({ attempt: 1, steps: [done({ key: 'redis-round-trip', name: 'Measure Redis (an older title)', result: 4242 })] });
  const legacy = await queue.add('ping', request, { jobId: 'resumed-legacy', attempts: 2 });
  await legacy.updateProgress({ attempt: 1, steps: [done({ name: 'Redis round trip', result: 4343 })] });

  worker = await startApp({ ROLE: 'worker', SLACK_BOT_TOKEN: 'xoxb-steps', SLACK_API_URL: slack.apiUrl, REDIS_URL: redis.url, FABRIC_CHATOPS_CONFIG: path.resolve('test/support/test-config.yaml') });
  const result = async (id: string): Promise<string> => eventually(`job ${id} to finish`, async () => (await redis.client.hget(`fco:ops-testnet:${id}`, 'returnvalue')) ?? undefined, 20_000);
  // The recorded results come back: the step did not run again (a real round trip takes ~1 ms).
  expect(await result('resumed-by-key')).toContain('"Redis round trip","value":"4242 ms"');
  expect(await result('resumed-legacy')).toContain('"Redis round trip","value":"4343 ms"');
});
