import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { WebClient } from '@slack/web-api';
import { SlackStatusPublisher } from '../../src/bot/status-publisher.js';
import type { JobView } from '../../src/jobs/engine/types.js';
import { createLogger } from '../../src/log.js';
import { SlackEmulator } from './emulator.js';

const TOKEN = 'xoxb-emulator-publisher';
let slack: SlackEmulator;
let client: WebClient;

beforeAll(async () => {
  slack = await SlackEmulator.start({ botToken: TOKEN, signingSecret: 's3cret', channels: ['C1'], users: [{ id: 'U1', name: 'una' }] });
  client = new WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
});
afterAll(() => slack.stop());

const view = (state: JobView['state'], steps: string[]): JobView => ({
  id: 'job1',
  type: 'ping',
  command: '/fabric ping',
  requester: { userId: 'U1' },
  channel: 'C1',
  network: 'net',
  state,
  steps: steps.map((name, i) => ({ key: `s${i}`, name, state: 'done', startedAt: 1, endedAt: 2 })),
  attempt: 1,
  maxAttempts: 1,
  queuedAt: 1,
  startedAt: 1,
  ...(state === 'succeeded' ? { finishedAt: 3, result: { summary: 'pong' } } : {}),
});

// A job shorter than the update interval: its progress is coalesced, and its end is shown when
// it happens, not when the interval has passed (the interval is a minute here, so a wait shows).
it('shows a job’s end at once, even within the interval that holds back its progress', async () => {
  const publisher = new SlackStatusPublisher(client, createLogger({ level: 'silent' }), 60_000);
  const message = await publisher.publish(view('running', []), undefined, false);
  expect(message).toBeDefined();
  await publisher.publish(view('running', ['First step']), message, false);
  await publisher.publish(view('running', ['First step', 'Second step']), message, false);
  const started = Date.now();
  await publisher.publish(view('succeeded', ['First step', 'Second step']), message, true);
  expect(Date.now() - started).toBeLessThan(30_000);

  const [shown] = slack.messages('C1');
  expect(shown?.edits).toHaveLength(1); // the two progress states were folded into the final one
  expect(shown?.text).toMatch(/succeeded/);
  expect(JSON.stringify(shown?.blocks)).toContain('Second step');
});
