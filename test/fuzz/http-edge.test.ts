import { afterAll, beforeAll, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { signSlackRequest } from '../slack/emulator.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Generated slash commands and interaction payloads, correctly signed, sent to the real bot over
 * HTTP: each is acknowledged within Slack's 3 s budget, the process stays healthy, and garbage
 * makes no job.
 */
const RUNS = 10_000;
/** Requests in flight at once: enough to get through the cases quickly, few enough to stay far below Slack's own rates. */
const IN_FLIGHT = 8;

async function eachInParallel<T>(items: T[], f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < items.length) await f(items[next++] as T);
    }),
  );
}

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    secret: 'fuzz-signing-secret',
    token: 'xoxb-fuzz-token',
    channels: ['C0OPS', 'C0UNBOUND'],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0VIEWER', name: 'val' },
    ],
    env: { LOG_LEVEL: 'warn' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

async function signedPost(body: string): Promise<{ status: number; ms: number }> {
  const ts = Math.floor(Date.now() / 1000);
  const t0 = performance.now();
  const res = await fetch(stack.events, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(ts),
      'X-Slack-Signature': signSlackRequest(stack.secret, ts, body),
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  await res.text();
  return { status: res.status, ms: performance.now() - t0 };
}

const jobCount = async (): Promise<number> =>
  (await stack.redis.client.keys('fco:ops-testnet:*')).filter((k) => /^fco:ops-testnet:[a-z0-9]{12}$/.test(k)).length;

it('acknowledges generated slash commands in time, and makes no job of text that is not a command', async () => {
  const before = await jobCount();
  const samples = fc.sample(
    fc.record({
      // "~" starts no command word, so none of these may queue anything.
      text: fc.string({ unit: 'binary', maxLength: 2500 }).map((t) => `~${t}`),
      user: fc.constantFrom('U0ALICE', 'U0VIEWER', 'U0STRANGER', ''),
      channel: fc.constantFrom('C0OPS', 'C0UNBOUND', 'C0NOWHERE', ''),
    }),
    RUNS,
  );
  await eachInParallel(samples, async (s) => {
    const form = new URLSearchParams({
      team_id: 'T0EMULATED',
      channel_id: s.channel,
      user_id: s.user,
      command: '/fabric',
      text: s.text,
      response_url: `${stack.slack.url}/response/none`,
      trigger_id: `${Date.now()}.${Math.random()}`,
    });
    const r = await signedPost(form.toString());
    if (r.status !== 200 || r.ms >= 3000) throw new Error(`answered ${r.status} after ${Math.round(r.ms)} ms to ${JSON.stringify(s)}`);
  });
  expect((await fetch(`${stack.bot.url}/healthz`)).status).toBe(200);
  expect(await jobCount()).toBe(before);
}, 240_000);

it('acknowledges generated button clicks in time, unknown actions and bad values included, and queues nothing', async () => {
  const before = await jobCount();
  const action = fc.record({
    action_id: fc.oneof(
      fc.constantFrom('approval_approve', 'approval_reject', 'job_cancel', 'alert_show_logs', 'alert_restart_pod', 'alert_renew_cert'),
      fc.string({ maxLength: 40 }),
    ),
    value: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(undefined)),
    block_id: fc.string({ maxLength: 20 }),
    type: fc.constantFrom('button', 'static_select', 'overflow'),
  });
  const samples = fc.sample(
    fc.record({
      actions: fc.array(action, { minLength: 1, maxLength: 3 }),
      user: fc.constantFrom('U0ALICE', 'U0VIEWER', 'U0STRANGER'),
      channel: fc.constantFrom('C0OPS', 'C0UNBOUND', 'C0NOWHERE'),
      extra: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    }),
    RUNS,
  );
  await eachInParallel(samples, async (s) => {
    const payload = {
      ...s.extra,
      type: 'block_actions',
      team: { id: 'T0EMULATED', domain: 'emulated' },
      user: { id: s.user, username: s.user, team_id: 'T0EMULATED' },
      api_app_id: 'A0EMULATED',
      trigger_id: `${Date.now()}.${Math.random()}`,
      channel: { id: s.channel, name: s.channel.toLowerCase() },
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: s.channel, is_ephemeral: false },
      message: { type: 'message', ts: '1700000000.000100', text: '', blocks: [] },
      response_url: `${stack.slack.url}/response/none`,
      actions: s.actions.map((a) => ({ ...a, action_ts: '1700000000.000200', text: { type: 'plain_text', text: 'x' } })),
    };
    const r = await signedPost(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    if (r.status !== 200 || r.ms >= 3000) throw new Error(`answered ${r.status} after ${Math.round(r.ms)} ms to ${JSON.stringify(s)}`);
  });
  expect((await fetch(`${stack.bot.url}/healthz`)).status).toBe(200);
  expect(await jobCount()).toBe(before);
}, 240_000);

it('answers payloads that are not JSON, or not Slack’s, without falling over', async () => {
  for (const body of [
    'payload=%7Bnot-json',
    'payload=',
    'payload=%5B%5D',
    'payload=null',
    'payload=%7B%22type%22%3A%22nonsense%22%7D',
    '',
    'a=b&c=d',
  ]) {
    const r = await signedPost(body);
    expect([200, 400, 401, 404]).toContain(r.status);
    expect(r.ms).toBeLessThan(3000);
  }
  expect((await fetch(`${stack.bot.url}/healthz`)).status).toBe(200);
});
