import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SlackEmulator, type StoredMessage } from '../slack/emulator.js';
import { eventually, startApp, type AppProcess } from '../support/app-process.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { RedisTap } from '../support/tcp-tap.js';

/**
 * The bot killed (SIGKILL) after the deciding vote reached Redis and before it queued the job:
 * the approved change is not lost, and runs exactly once after the bot comes back.
 */
const SECRET = 'vote-kill-secret';
const TOKEN = 'xoxb-vote-kill-token';
const CHANNEL = 'C0TRI';

let redis: TestRedis;
let tap: RedisTap;
let slack: SlackEmulator;
let worker: AppProcess;
const bots: AppProcess[] = [];
let common: Record<string, string>;
const VOTE_SCRIPT = readFileSync(path.resolve('src/jobs/scripts/vote.lua'), 'utf8');
/** What the bot's EVALSHA of the vote script carries, and no other command. */
const VOTE_SHA = createHash('sha1').update(VOTE_SCRIPT).digest('hex');

beforeAll(async () => {
  redis = await startTestRedis();
  tap = await RedisTap.start(redis.url);
  slack = await SlackEmulator.start({ botToken: TOKEN, signingSecret: SECRET, channels: [CHANNEL], users: ['U0OP1', 'U0AD1', 'U0AD2'].map((id) => ({ id, name: id.toLowerCase() })) });
  common = { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, FABRIC_CHATOPS_CONFIG: path.resolve('test/support/approvals-config.yaml'), STATUS_UPDATE_INTERVAL_MS: '200' };
  worker = await startApp({ ...common, ROLE: 'worker', REDIS_URL: redis.url });
  // The first bot reaches Redis through the tap.
  bots.push(await startApp({ ...common, ROLE: 'bot', REDIS_URL: tap.url }));
  // Loaded already, the vote script runs as one EVALSHA (no NOSCRIPT round trip to stop at).
  await redis.client.script('LOAD', VOTE_SCRIPT);
});

afterAll(async () => {
  for (const b of bots) await b.stop();
  await worker?.stop();
  await tap?.stop();
  await slack?.stop();
  await redis?.stop();
});

const cardFor = (id: string): StoredMessage | undefined => slack.messages(CHANNEL).find((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``));

it('queues the job of a request approved by a vote whose bot died before queuing it, once', async () => {
  const bot = bots[0] as AppProcess;
  await slack.sendSlashCommand(`${bot.url}/slack/events`, { text: 'ping', userId: 'U0OP1', channelId: CHANNEL }, { secret: SECRET });
  const answer = await eventually('the answer', () => slack.messages().find((m) => m.ephemeral && m.user === 'U0OP1')?.text);
  const id = /request `([a-z0-9]+)`/.exec(answer)?.[1] as string;
  const card = await eventually('the card', () => cardFor(id));
  const votes = (): Promise<number> => redis.client.hlen(`fco:approval:${id}:votes`);

  await slack.clickButton(`${bot.url}/slack/events`, { userId: 'U0AD1', channelId: CHANNEL, messageTs: card.ts, actionId: 'approval_approve', value: id }, { secret: SECRET });
  await eventually('org1’s vote', async () => (await votes()) === 1);

  // org2's vote meets the rule (MAJORITY of 3); the bot dies the moment Redis has answered it.
  const stopped = tap.stopAfter(VOTE_SHA);
  const click = await slack.clickButton(`${bot.url}/slack/events`, { userId: 'U0AD2', channelId: CHANNEL, messageTs: cardFor(id)?.ts ?? card.ts, actionId: 'approval_approve', value: id }, { secret: SECRET });
  expect(click.status).toBe(200);
  await stopped;
  await bot.kill();

  expect(await redis.client.hget(`fco:approval:${id}`, 'state')).toBe('approved');
  expect(await redis.client.exists(`fco:ops-tri:${id}`)).toBe(0);
  expect(await redis.client.zrange('fco:approvals:owed-jobs', '0', '-1')).toEqual([id]);

  // A new bot (as its Deployment would start one) finds the approved request and queues its job.
  bots.push(await startApp({ ...common, ROLE: 'bot', REDIS_URL: redis.url }));
  await eventually('the job to succeed', async () => (await redis.client.hget(`fco:ops-tri:${id}`, 'finishedOn')) !== null && (await redis.client.hget(`fco:ops-tri:${id}`, 'returnvalue')) !== null, 40_000);
  await new Promise((r) => setTimeout(r, 6000)); // more sweeps: still one job, run once
  const audit = (await redis.client.xrange('fco:audit', '-', '+')).map(([, f]) => f);
  const about = (action: string): string[][] => audit.filter((f) => f[f.indexOf('action') + 1] === action && f[f.indexOf('target') + 1] === id);
  expect(about('job.started')).toHaveLength(1);
  expect(about('job.succeeded')).toHaveLength(1);
  expect(about('approval.granted')).toHaveLength(1);
  expect(JSON.stringify(about('approval.granted'))).toContain('queued by the sweeper');
  expect(await redis.client.zcard('fco:approvals:owed-jobs')).toBe(0);
  const status = slack.messages(CHANNEL).filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${id}\``) && !JSON.stringify(m.blocks).includes('Approval needed'));
  expect(status).toHaveLength(1);
  expect(JSON.stringify(status[0]?.blocks)).toContain('succeeded');
}, 90_000);
