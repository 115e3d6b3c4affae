import { afterAll, beforeAll, expect, it } from '@jest/globals';
import path from 'node:path';
import { SlackEmulator, SOCKET_MODE, type StoredMessage } from '../slack/emulator.js';
import { eventually, startApp, type AppProcess } from '../support/app-process.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

/** SLACK_APP_TOKEN set: the bot connects out over Socket Mode, with no public URL and no signing secret. */
const TOKEN = 'xoxb-socket-token';
const APP_TOKEN = 'xapp-1-socket-app-token';

let redis: TestRedis;
let slack: SlackEmulator;
let app: AppProcess;

beforeAll(async () => {
  redis = await startTestRedis();
  slack = await SlackEmulator.start({ botToken: TOKEN, signingSecret: 'unused-in-socket-mode', appToken: APP_TOKEN, channels: ['C0OPS'], users: [{ id: 'U0ALICE', name: 'alice' }] });
  app = await startApp({ ROLE: 'all', SLACK_BOT_TOKEN: TOKEN, SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: slack.apiUrl, REDIS_URL: redis.url, FABRIC_CHATOPS_CONFIG: path.resolve('test/support/test-config.yaml') });
  await eventually('the bot to connect over Socket Mode', () => slack.socketConnected, 20_000);
});

afterAll(async () => {
  await app?.stop();
  await slack?.stop();
  await redis?.stop();
});

const statusOf = (jobId: string): StoredMessage | undefined => slack.messages('C0OPS').find((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${jobId}\``));

it('opened its connection with the app token, and still serves health checks on OPS_PORT', async () => {
  expect(slack.calls.some((c) => c.method === 'apps.connections.open' && c.response.ok === true)).toBe(true);
  expect((await fetch(`${app.opsUrl}/healthz`)).status).toBe(200);
  expect(app.output()).toContain('"mode":"socket"');
});

it('answers a slash command sent as a Socket Mode envelope, and runs its job', async () => {
  const reply = await slack.sendSlashCommand(SOCKET_MODE, { text: 'ping --hold 1', userId: 'U0ALICE', channelId: 'C0OPS' });
  expect(reply.status).toBe(200);
  expect(reply.ms).toBeLessThan(3000);
  const answer = await eventually('the answer', () => slack.messages().find((m) => m.ephemeral && /Queued job `([a-z0-9]+)`/.test(m.text ?? '')));
  const jobId = /`([a-z0-9]+)`/.exec(answer.text ?? '')?.[1] as string;
  await eventually('the job to succeed', () => JSON.stringify(statusOf(jobId)?.blocks ?? []).includes('succeeded'));
});

it('takes a button click as an interactive envelope: Cancel on a running job', async () => {
  await slack.sendSlashCommand(SOCKET_MODE, { text: 'ping --hold 30', userId: 'U0ALICE', channelId: 'C0OPS' });
  const running = await eventually('a running job with a Cancel button', () => slack.messages('C0OPS').find((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes('Hold 30000 ms') && JSON.stringify(m.blocks).includes('job_cancel')));
  const jobId = /Job `([a-z0-9]+)`/.exec(JSON.stringify(running.blocks))?.[1] as string;
  const reply = await slack.clickButton(SOCKET_MODE, { userId: 'U0ALICE', channelId: 'C0OPS', messageTs: running.ts, actionId: 'job_cancel', value: jobId });
  expect(reply.status).toBe(200);
  await eventually('the job to show cancelled', () => JSON.stringify(statusOf(jobId)?.blocks ?? []).includes('cancelled'), 40_000);
});

it('hands out connections only for the app-level token, each URL good once', async () => {
  const open = async (token: string): Promise<{ ok: boolean; error?: string; url?: string }> =>
    (await (await fetch(`${slack.apiUrl}apps.connections.open`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).json()) as { ok: boolean; error?: string; url?: string };
  expect(await open(TOKEN)).toEqual({ ok: false, error: 'not_allowed_token_type' });
  expect(await open('xapp-1-someone-else')).toEqual({ ok: false, error: 'invalid_auth' });
  const { url } = await open(APP_TOKEN);
  const { WebSocket } = await import('ws');
  const hello = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(url as string);
    ws.once('message', (d) => (ws.close(), resolve(String(d))));
    ws.once('error', reject);
  });
  expect(JSON.parse(hello)).toMatchObject({ type: 'hello' });
  const reused = await new Promise<string>((resolve) => {
    const ws = new WebSocket(url as string);
    ws.once('open', () => resolve('opened'));
    ws.once('error', (err) => resolve(err.message));
  });
  expect(reused).toContain('403');
});

it('broke no rule of Slack’s contract', () => {
  expect(slack.problems).toEqual([]);
});
