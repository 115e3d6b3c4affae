import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';
import { RedisTap } from '../support/tcp-tap.js';

/**
 * The bot killed (SIGKILL) after the deciding vote reached Redis and before it queued the job:
 * the approved change is not lost, and runs exactly once after the bot comes back.
 */
const CHANNEL = 'C0TRI';

let stack: Stack;
let tap: RedisTap;
const VOTE_SCRIPT = readFileSync(path.resolve('src/jobs/services/scripts/vote.lua'), 'utf8');
/** What the bot's EVALSHA of the vote script carries, and no other command. */
const VOTE_SHA = createHash('sha1').update(VOTE_SCRIPT).digest('hex');

beforeAll(async () => {
  stack = await startStack({
    secret: 'vote-kill-secret',
    token: 'xoxb-vote-kill-token',
    channels: [CHANNEL],
    users: ['U0OP1', 'U0AD1', 'U0AD2'],
    config: path.resolve('test/support/approvals-config.yaml'),
    env: { STATUS_UPDATE_INTERVAL_MS: '200' },
    bot: 'none',
    workers: 1,
  });
  tap = await RedisTap.start(stack.redis.url);
  // The first bot reaches Redis through the tap.
  await stack.startBot({ REDIS_URL: tap.url });
  // Loaded already, the vote script runs as one EVALSHA (no NOSCRIPT round trip to stop at).
  await stack.redis.client.script('LOAD', VOTE_SCRIPT);
});

afterAll(async () => {
  await stack?.stop();
  await tap?.stop();
});

const cardFor = (id: string): StoredMessage | undefined =>
  stack.slack.messages(CHANNEL).find((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``));

it('queues the job of a request approved by a vote whose bot died before queuing it, once', async () => {
  const bot = stack.bot;
  await stack.command('ping', { user: 'U0OP1', channel: CHANNEL });
  const answer = await eventually('the answer', () => stack.slack.messages().find((m) => m.ephemeral && m.user === 'U0OP1')?.text);
  const id = /request `([a-z0-9]+)`/.exec(answer)?.[1] as string;
  const card = await eventually('the card', () => cardFor(id));
  const votes = (): Promise<number> => stack.redis.client.hlen(`fco:approval:${id}:votes`);

  await stack.click(card, 'approval_approve', { user: 'U0AD1', value: id });
  await eventually('org1’s vote', async () => (await votes()) === 1);

  // org2's vote meets the rule (MAJORITY of 3); the bot dies the moment Redis has answered it.
  const stopped = tap.stopAfter(VOTE_SHA);
  const click = await stack.click(cardFor(id) ?? card, 'approval_approve', { user: 'U0AD2', value: id });
  expect(click.status).toBe(200);
  await stopped;
  await bot.kill();

  expect(await stack.redis.client.hget(`fco:approval:${id}`, 'state')).toBe('approved');
  expect(await stack.redis.client.exists(`fco:ops-tri:${id}`)).toBe(0);
  expect(await stack.redis.client.zrange('fco:approvals:owed-jobs', '0', '-1')).toEqual([id]);

  // A new bot (as its Deployment would start one) finds the approved request and queues its job.
  await stack.startBot();
  await eventually(
    'the job to succeed',
    async () =>
      (await stack.redis.client.hget(`fco:ops-tri:${id}`, 'finishedOn')) !== null &&
      (await stack.redis.client.hget(`fco:ops-tri:${id}`, 'returnvalue')) !== null,
    40_000,
  );
  await new Promise((r) => setTimeout(r, 6000)); // more sweeps: still one job, run once
  const audit = (await stack.redis.client.xrange('fco:audit', '-', '+')).map(([, f]) => f);
  const about = (action: string): string[][] =>
    audit.filter((f) => f[f.indexOf('action') + 1] === action && f[f.indexOf('target') + 1] === id);
  expect(about('job.started')).toHaveLength(1);
  expect(about('job.succeeded')).toHaveLength(1);
  expect(about('approval.granted')).toHaveLength(1);
  expect(JSON.stringify(about('approval.granted'))).toContain('queued by the sweeper');
  expect(await stack.redis.client.zcard('fco:approvals:owed-jobs')).toBe(0);
  const status = stack.slack
    .messages(CHANNEL)
    .filter(
      (m) =>
        !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${id}\``) && !JSON.stringify(m.blocks).includes('Approval needed'),
    );
  expect(status).toHaveLength(1);
  expect(JSON.stringify(status[0]?.blocks)).toContain('succeeded');
}, 90_000);
