import { afterAll, beforeAll, expect, it } from '@jest/globals';
import path from 'node:path';
import { SlackEmulator, type InjectedFailure } from '../slack/emulator.js';
import { eventually, startApp, type AppProcess } from '../support/app-process.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

/**
 * Slack answering chat.postMessage, chat.update and response URLs with bursts of 5xx and 429
 * while jobs run: every command still gets its reply, every job exactly one status message, the updates that Slack accepted for it arrive
 * in the order the job made them, and the last one shows how the job ended. A final status
 * Slack refuses through every retry is kept, and delivered once Slack takes updates again.
 */
const SECRET = 'storm-signing-secret';
const TOKEN = 'xoxb-storm-token';
const JOBS = 6;

let redis: TestRedis;
let slack: SlackEmulator;
let app: AppProcess;

beforeAll(async () => {
  redis = await startTestRedis();
  slack = await SlackEmulator.start({ botToken: TOKEN, signingSecret: SECRET, channels: ['C0OPS'], users: [{ id: 'U0ALICE', name: 'alice' }] });
  app = await startApp({ ROLE: 'all', SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, REDIS_URL: redis.url, FABRIC_CHATOPS_CONFIG: path.resolve('test/support/test-config.yaml'), STATUS_RETRY_MS: '2000' });
});

afterAll(async () => {
  await app?.stop();
  await slack?.stop();
  await redis?.stop();
});

const e500: InjectedFailure = { status: 500 };
const e502: InjectedFailure = { status: 502 };
const e503: InjectedFailure = { status: 503 };
const limited: InjectedFailure = { status: 429, retryAfterSec: 1 };

/** How far along a rendered status is: steps done, then the hold step's "n/3", then the end. */
function progressOf(blocksJson: string): number {
  const done = (blocksJson.match(/:white_check_mark: /g) ?? []).length;
  const hold = Number(/Hold 3000 ms[^\\]*?(\d)\/3/.exec(blocksJson)?.[1] ?? 0);
  const ended = /succeeded|failed/.test(blocksJson) ? 1000 : 0;
  return ended + done * 10 + hold;
}

it('delivers every status message, in order per job, through storms of 5xx and 429', async () => {
  slack.storm('chat.postMessage', [e503, 'ok', limited, e500, 'ok', 'ok', e502]);
  slack.storm('chat.update', [e500, 'ok', limited, e503, 'ok', e502, e500, 'ok', limited, 'ok']);
  slack.storm('response_url', [e503, 'ok', limited, 'ok', e500, 'ok']);

  await Promise.all(
    Array.from({ length: JOBS }, async () => {
      const res = await slack.sendSlashCommand(`${app.url}/slack/events`, { text: 'ping --hold 3', userId: 'U0ALICE', channelId: 'C0OPS' }, { secret: SECRET });
      expect(res.status).toBe(200);
    }),
  );
  const jobIds = await eventually('every command to be answered with its job id', () => {
    const ids = slack.messages().flatMap((m) => (m.ephemeral ? [/Queued job `([a-z0-9]{12})`/.exec(m.text ?? '')?.[1]] : [])).filter((id) => id !== undefined);
    return ids.length === JOBS ? ids : undefined;
  }, 60_000).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${app.output().split('\n').filter((l) => /response_url|warn|error/.test(l)).slice(-20).join('\n')}`);
  });

  const statusOf = (id: string) => slack.messages('C0OPS').filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${id}\``));
  await eventually('every job to show how it ended', () => jobIds.every((id) => statusOf(id).some((m) => /succeeded|failed/.test(JSON.stringify(m.blocks)))), 180_000).catch((err: unknown) => {
    const shown = jobIds.map((id) => `${id}: ${statusOf(id).map((m) => /— ([^*]+)\*/.exec(JSON.stringify(m.blocks))?.[1] ?? '?').join(', ')}`);
    throw new Error(`${String(err)}\n${shown.join('\n')}\n${app.output().split('\n').filter((l) => /warn|error/.test(l)).slice(-30).join('\n')}`);
  });
  slack.storm('chat.postMessage', undefined);
  slack.storm('chat.update', undefined);
  slack.storm('response_url', undefined);

  const failures = slack.calls.filter((c) => c.status !== 200).length;
  expect(failures).toBeGreaterThan(JOBS);
  for (const id of jobIds) {
    const messages = statusOf(id);
    expect(messages).toHaveLength(1);
    const final = JSON.stringify(messages[0]?.blocks);
    expect(final).toContain('succeeded');
    const accepted = slack.calls.filter((c) => c.method === 'chat.update' && c.status === 200 && c.args.ts === messages[0]?.ts).map((c) => progressOf(typeof c.args.blocks === 'string' ? c.args.blocks : JSON.stringify(c.args.blocks)));
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted).toEqual([...accepted].sort((a, b) => a - b));
    expect(accepted.at(-1)).toBeGreaterThanOrEqual(1000);
  }
}, 240_000);

it('keeps a final status Slack refused through every retry, and delivers it once Slack answers again', async () => {
  const before = app.output().length;
  const logSince = (): string => app.output().slice(before);
  slack.storm('chat.update', [e503]);
  try {
    const earlier = slack.messages().filter((m) => m.ephemeral).length;
    const replies = (): string[] => slack.messages().filter((m) => m.ephemeral).slice(earlier).map((m) => m.text ?? '');
    await slack.sendSlashCommand(`${app.url}/slack/events`, { text: 'ping', userId: 'U0ALICE', channelId: 'C0OPS' }, { secret: SECRET });
    const id = await eventually('the job id', () => replies().map((t) => /Queued job `([a-z0-9]{12})`/.exec(t)?.[1]).find((x) => x !== undefined));
    // The Web API client retries for about 45 s before the worker gives the final status up to Redis.
    await eventually('the final status to be kept for later', () => (/"final":true[^\n]*could not publish job status/.test(logSince()) ? true : undefined), 120_000);
    const status = slack.messages('C0OPS').filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${id}\``));
    expect(status).toHaveLength(1);
    expect(JSON.stringify(status[0]?.blocks)).not.toContain('succeeded');
    slack.storm('chat.update', undefined);
    const shown = await eventually('the kept status to be delivered', () => {
      const text = JSON.stringify(slack.messages('C0OPS').find((m) => m.ts === status[0]?.ts)?.blocks ?? []);
      return text.includes('succeeded') ? text : undefined;
    }, 30_000);
    expect(shown).toContain('ping');
    await eventually('the worker to log the late delivery', () => (logSince().includes('final status delivered late') ? true : undefined), 10_000);
    expect(slack.messages('C0OPS').filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${id}\``))).toHaveLength(1);
  } finally {
    slack.storm('chat.update', undefined);
  }
}, 180_000);
