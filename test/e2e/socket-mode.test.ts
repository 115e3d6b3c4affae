import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/** SLACK_APP_TOKEN set: the bot connects out over Socket Mode, with no public URL and no signing secret. */
const TOKEN = 'xoxb-socket-token';
const APP_TOKEN = 'xapp-1-socket-app-token';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ token: TOKEN, secret: 'unused-in-socket-mode', appToken: APP_TOKEN });
  await eventually('the bot to connect over Socket Mode', () => stack.slack.socketConnected, 20_000);
});

afterAll(async () => {
  await stack?.stop();
});

const statusOf = (jobId: string): StoredMessage | undefined => stack.statusOf(jobId);

it('opened its connection with the app token, and still serves health checks on OPS_PORT', async () => {
  expect(stack.slack.calls.some((c) => c.method === 'apps.connections.open' && c.response.ok === true)).toBe(true);
  expect((await fetch(`${stack.bot.opsUrl}/healthz`)).status).toBe(200);
  expect(stack.bot.output()).toContain('"mode":"socket"');
});

it('answers a slash command sent as a Socket Mode envelope, and runs its job', async () => {
  const reply = await stack.command('ping --hold 1');
  expect(reply.status).toBe(200);
  expect(reply.ms).toBeLessThan(3000);
  const answer = await eventually('the answer', () =>
    stack.slack.messages().find((m) => m.ephemeral && /Queued job `([a-z0-9]+)`/.test(m.text ?? '')),
  );
  const jobId = /`([a-z0-9]+)`/.exec(answer.text ?? '')?.[1] as string;
  await eventually('the job to succeed', () => JSON.stringify(statusOf(jobId)?.blocks ?? []).includes('succeeded'));
});

it('takes a button click as an interactive envelope: Cancel on a running job', async () => {
  await stack.command('ping --hold 30');
  const running = await eventually('a running job with a Cancel button', () =>
    stack.slack
      .messages('C0OPS')
      .find(
        (m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes('Hold 30000 ms') && JSON.stringify(m.blocks).includes('job_cancel'),
      ),
  );
  const jobId = /Job `([a-z0-9]+)`/.exec(JSON.stringify(running.blocks))?.[1] as string;
  const reply = await stack.click(running, 'job_cancel', { user: 'U0ALICE', value: jobId });
  expect(reply.status).toBe(200);
  await eventually('the job to show cancelled', () => JSON.stringify(statusOf(jobId)?.blocks ?? []).includes('cancelled'), 40_000);
});

it('hands out connections only for the app-level token, each URL good once', async () => {
  const open = async (token: string): Promise<{ ok: boolean; error?: string; url?: string }> =>
    (await (
      await fetch(`${stack.slack.apiUrl}apps.connections.open`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })
    ).json()) as { ok: boolean; error?: string; url?: string };
  expect(await open(TOKEN)).toEqual({ ok: false, error: 'not_allowed_token_type' });
  expect(await open('xapp-1-someone-else')).toEqual({ ok: false, error: 'invalid_auth' });
  const { url } = await open(APP_TOKEN);
  const { WebSocket } = await import('ws');
  const hello = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(url as string);
    ws.once('message', (d) => {
      ws.close();
      resolve(String(d));
    });
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
  expect(stack.slack.problems).toEqual([]);
});
