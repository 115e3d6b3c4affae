import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signSlackRequest, type StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Slack's request signing, as the bot enforces it over HTTP: every way a request can be unsigned,
 * missigned, stale or replayed, sent to the real bot process. A refused request has no effect.
 */
const SECRET = 'security-signing-secret';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ secret: SECRET, token: 'xoxb-security-token' });
});

afterAll(async () => {
  await stack?.stop();
});

const body = (text: string, trigger = `${Date.now()}.1.${Math.random().toString(16).slice(2)}`): string =>
  new URLSearchParams({
    team_id: 'T0EMULATED',
    channel_id: 'C0OPS',
    user_id: 'U0ALICE',
    user_name: 'alice',
    command: '/fabric',
    text,
    response_url: `${stack.slack.url}/response/none`,
    trigger_id: trigger,
  }).toString();

async function post(raw: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(stack.events, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: raw,
  });
  await res.text();
  return res.status;
}

const jobKeys = async (): Promise<string[]> =>
  (await stack.redis.client.keys('fco:ops-testnet:*')).filter((k) => /^fco:ops-testnet:[a-z0-9]{12}$/.test(k));
const now = (): number => Math.floor(Date.now() / 1000);

describe('requests the bot refuses with 401, changing nothing', () => {
  const cases: Array<[string, (raw: string) => Record<string, string>]> = [
    ['no signature', () => ({ 'X-Slack-Request-Timestamp': String(now()) })],
    ['no timestamp', (raw) => ({ 'X-Slack-Signature': signSlackRequest(SECRET, now(), raw) })],
    [
      'a signature made with another secret',
      (raw) => ({ 'X-Slack-Request-Timestamp': String(now()), 'X-Slack-Signature': signSlackRequest('not-the-secret', now(), raw) }),
    ],
    [
      'a signature of another body',
      (raw) => ({ 'X-Slack-Request-Timestamp': String(now()), 'X-Slack-Signature': signSlackRequest(SECRET, now(), `${raw}&x=1`) }),
    ],
    [
      'a stale timestamp (6 minutes old), correctly signed',
      (raw) => ({ 'X-Slack-Request-Timestamp': String(now() - 360), 'X-Slack-Signature': signSlackRequest(SECRET, now() - 360, raw) }),
    ],
    [
      'a future timestamp (6 minutes ahead), correctly signed',
      (raw) => ({ 'X-Slack-Request-Timestamp': String(now() + 360), 'X-Slack-Signature': signSlackRequest(SECRET, now() + 360, raw) }),
    ],
    [
      'the wrong version prefix (v1=)',
      (raw) => ({ 'X-Slack-Request-Timestamp': String(now()), 'X-Slack-Signature': signSlackRequest(SECRET, now(), raw, 'v1') }),
    ],
    [
      'a timestamp that is not a number',
      (raw) => ({ 'X-Slack-Request-Timestamp': 'yesterday', 'X-Slack-Signature': signSlackRequest(SECRET, now(), raw) }),
    ],
    [
      'a signature with the right prefix and garbage',
      () => ({ 'X-Slack-Request-Timestamp': String(now()), 'X-Slack-Signature': 'v0=deadbeef' }),
    ],
  ];
  it.each(cases)('%s', async (_label, headersFor) => {
    const before = { jobs: (await jobKeys()).length, messages: stack.slack.messages().length, calls: stack.slack.calls.length };
    const raw = body('ping');
    expect(await post(raw, headersFor(raw))).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect((await jobKeys()).length).toBe(before.jobs);
    expect(stack.slack.messages().length).toBe(before.messages);
    expect(stack.slack.calls.length).toBe(before.calls);
  });
});

describe('replays', () => {
  it('a signed request replayed inside the five-minute window makes no second job and no second status message', async () => {
    const raw = new URLSearchParams({
      team_id: 'T0EMULATED',
      channel_id: 'C0OPS',
      user_id: 'U0ALICE',
      user_name: 'alice',
      command: '/fabric',
      text: 'ping',
      response_url: (await stack.command('help')).responseUrl,
      trigger_id: `${Date.now()}.7.replay`,
    }).toString();
    const ts = now();
    const headers = { 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': signSlackRequest(SECRET, ts, raw) };
    const before = (await jobKeys()).length;
    expect(await post(raw, headers)).toBe(200);
    expect(await post(raw, headers)).toBe(200);
    expect(await post(raw, headers)).toBe(200);
    await eventually('the one job', async () => (await jobKeys()).length === before + 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await jobKeys()).length).toBe(before + 1);
    const statuses = (m: StoredMessage): boolean => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes('/fabric ping');
    await eventually('the status message', () => stack.slack.messages('C0OPS').filter(statuses).length >= 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(stack.slack.messages('C0OPS').filter(statuses)).toHaveLength(1);
  });

  it('the same request replayed after the window is refused', async () => {
    const raw = body('ping');
    const old = now() - 301;
    expect(await post(raw, { 'X-Slack-Request-Timestamp': String(old), 'X-Slack-Signature': signSlackRequest(SECRET, old, raw) })).toBe(
      401,
    );
  });
});

it('broke no rule of Slack’s contract', () => {
  expect(stack.slack.problems).toEqual([]);
});
