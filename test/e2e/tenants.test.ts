import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Trust boundaries between tenants and between orgs, tried as a hostile member would, over signed
 * HTTP against the real bot and worker on a real Redis (no Kubernetes here: jobs that need it fail,
 * which is not what these tests look at).
 */
const ALPHA = 'C0ALPHA';
const BETA = 'C0BETA';
const users = ['U0A1OP', 'U0A1AD', 'U0A2OP', 'U0A2AD', 'U0BOTH', 'U0GRP', 'U0B1OP', 'U0B1AD', 'U0STRANGER'];

let stack: Stack;

const ephemeralsFor = (user: string): StoredMessage[] => stack.ephemeralFor(user);
const reads = (m: StoredMessage | undefined): string => stack.lastText(m);
const statusOf = (channel: string, jobId: string): StoredMessage | undefined => stack.statusOf(jobId, channel);
const cardFor = (channel: string, id: string): StoredMessage | undefined =>
  stack.slack.messages(channel).find((m) => !m.ephemeral && reads(m).includes(`Request \`${id}\``));

/** Sends the command and returns the text of the answer it gets. */
async function command(user: string, channel: string, text: string): Promise<string> {
  const res = await stack.command(text, { user, channel });
  expect(res.status).toBe(200);
  return reads(await res.answer(20_000));
}

const idIn = (answer: string, kind: 'job' | 'request'): string => {
  const id = new RegExp(`${kind === 'job' ? 'Queued job' : 'request'} \`([a-z0-9]+)\``).exec(answer)?.[1];
  if (id === undefined) throw new Error(`no ${kind} id in: ${answer}`);
  return id;
};

/**
 * Clicks `actionId` on `message` as `user`; with `forge`, as a client showing the button with
 * another value would (a forged click). Returns the ephemeral answer, or '' once `settled` holds.
 */
async function click(
  user: string,
  message: StoredMessage,
  actionId: string,
  opts: { forge?: { from: string; to: string }; settled?: () => Promise<boolean> } = {},
): Promise<string> {
  const { forge, settled } = opts;
  const before = ephemeralsFor(user).length;
  const seenBlocks =
    forge === undefined ? undefined : (JSON.parse(JSON.stringify(message.blocks).replaceAll(forge.from, forge.to)) as unknown[]);
  const res = await stack.click(message, actionId, { user, ...(forge === undefined ? {} : { value: forge.to, seenBlocks }) });
  expect(res.status).toBe(200);
  expect(res.ms).toBeLessThan(3000);
  return eventually(
    `the answer to ${user}'s click`,
    async () => (ephemeralsFor(user).length > before ? reads(ephemeralsFor(user).at(-1)) : (await settled?.()) === true ? '' : undefined),
    20_000,
  );
}

const votesOn = (id: string): Promise<number> => stack.redis.client.hlen(`fco:approval:${id}:votes`);

const jobState = async (network: string, id: string): Promise<Record<string, string>> =>
  stack.redis.client.hgetall(`fco:ops-${network}:${id}`);

beforeAll(async () => {
  stack = await startStack({
    secret: 'tenants-secret',
    token: 'xoxb-tenants-token',
    channels: [ALPHA, 'C0ALPHAAL', BETA, 'C0NOWHERE'],
    users,
    usergroups: { S0ALPHA2: ['U0GRP'] },
    config: path.resolve('test/support/tenants-config.yaml'),
    env: { STATUS_UPDATE_INTERVAL_MS: '200' },
    bot: 'bot',
    workers: 1,
    botEnv: { USERGROUP_REFRESH_MS: '300', USERGROUP_GRACE_MS: '4000' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('a tenant sees only its own network', () => {
  it('answers another network’s job id with "no such job": job, cancel, the Cancel button, jobs and audit', async () => {
    const alphaJob = idIn(await command('U0A1OP', ALPHA, 'ping --hold 30'), 'job');
    const betaJob = idIn(await command('U0B1OP', BETA, 'ping --hold 30'), 'job');
    await eventually(
      'both jobs running',
      async () =>
        (await jobState('alpha', alphaJob)).processedOn !== undefined &&
        (await jobState('beta', betaJob)).processedOn !== undefined &&
        statusOf(BETA, betaJob),
    );

    expect(await command('U0B1OP', BETA, `job ${alphaJob}`)).toContain(`No job \`${alphaJob}\``);
    expect(await command('U0B1OP', BETA, `cancel ${alphaJob}`)).toContain(`No job \`${alphaJob}\``);
    const list = await command('U0B1OP', BETA, 'jobs');
    expect(list).toContain(betaJob);
    expect(list).not.toContain(alphaJob);
    // A forged click on beta's own status message, carrying alpha's job id.
    expect(
      await click('U0B1OP', statusOf(BETA, betaJob) as StoredMessage, 'job_cancel', { forge: { from: betaJob, to: alphaJob } }),
    ).toContain(`No job \`${alphaJob}\` in this network`);
    expect(await stack.redis.client.exists(`fco:cancel:${alphaJob}`)).toBe(0);
    const audit = await command('U0B1OP', BETA, 'audit 100');
    expect(audit).toContain(`*job.started* \`${betaJob}\``);
    // Beta's trail holds beta's tries with alpha's id, and nothing of alpha's own.
    expect(audit).not.toContain(`*job.started* \`${alphaJob}\``);
    expect(audit).not.toContain('U0A1OP');

    // Within its own network the job is found, and an operator of another org may cancel a network-wide one.
    expect(await command('U0A2OP', ALPHA, `job ${alphaJob}`)).toContain(alphaJob);
    expect(await command('U0A2OP', ALPHA, `cancel ${alphaJob}`)).toContain('it stops at its next step');
    expect(await command('U0B1OP', BETA, `cancel ${betaJob}`)).toContain('it stops at its next step');
    await eventually(
      'both cancelled',
      async () =>
        (await jobState('alpha', alphaJob)).finishedOn !== undefined && (await jobState('beta', betaJob)).finishedOn !== undefined,
      20_000,
    );
  });

  it('keeps another network’s approval requests out of /fabric approvals and refuses their ids on buttons', async () => {
    const alphaRequest = idIn(await command('U0A1OP', ALPHA, 'peers scale org1 2'), 'request');
    const betaRequest = idIn(await command('U0B1OP', BETA, 'peers scale org1 2'), 'request');
    const betaCard = await eventually('beta’s card', () => cardFor(BETA, betaRequest));
    const listed = await command('U0B1AD', BETA, 'approvals');
    expect(listed).toContain(betaRequest);
    expect(listed).not.toContain(alphaRequest);
    expect(await click('U0B1AD', betaCard, 'approval_approve', { forge: { from: betaRequest, to: alphaRequest } })).toContain(
      'This approval request no longer exists',
    );
    expect(await stack.redis.client.hlen(`fco:approval:${alphaRequest}:votes`)).toBe(0);
  });
});

describe('one org acts on itself', () => {
  it('refuses an org1 operator’s request to scale org2, and asks no one', async () => {
    const answer = await command('U0A1OP', ALPHA, 'peers scale org2 5');
    expect(answer).toContain("acts on org2, and only org2's members may ask for it (you are operator in org1)");
    // only the two of the test above
    expect((await stack.redis.client.keys('fco:approval:*')).filter((k) => /^fco:approval:[a-z0-9]+$/.test(k)).length).toBe(2);
  });
});

describe('approvals', () => {
  it('gives a person who is an admin of two orgs one vote, so the other org’s admin must still approve', async () => {
    const id = idIn(await command('U0A1OP', ALPHA, 'peers scale org1 3'), 'request');
    const card = await eventually('the card', () => cardFor(ALPHA, id));
    expect(reads(card)).toContain('Needs all of them of *org1*, *org2*');
    expect(await click('U0BOTH', card, 'approval_approve', { settled: async () => (await votesOn(id)) === 1 })).toBe('');
    expect(await click('U0BOTH', cardFor(ALPHA, id) as StoredMessage, 'approval_approve')).toContain('one person has one vote');
    expect(await stack.redis.client.hlen(`fco:approval:${id}:votes`)).toBe(1);
    expect(await stack.redis.client.hget(`fco:approval:${id}`, 'state')).toBe('open');
    expect(
      await click('U0A2AD', cardFor(ALPHA, id) as StoredMessage, 'approval_approve', {
        settled: async () => (await stack.redis.client.hget(`fco:approval:${id}`, 'state')) === 'approved',
      }),
    ).toBe('');
    const voters = Object.values(await stack.redis.client.hgetall(`fco:approval:${id}:votes`)).map(
      (v) => (JSON.parse(v) as { user: string }).user,
    );
    expect(new Set(voters).size).toBe(2);
  });

  it('makes one request and one card of four racing deliveries of one Slack request', async () => {
    const triggerId = `race.${Date.now()}`;
    const sends = Array.from({ length: 4 }, () => stack.command('peers scale org1 4', { user: 'U0A1OP', channel: ALPHA, triggerId }));
    expect((await Promise.all(sends)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const answer = await eventually('an answer', () =>
      ephemeralsFor('U0A1OP')
        .map(reads)
        .find((t) => t.includes('peers scale org1 4') || /request `[a-z0-9]+`: scale org1 peers to 4/.test(t)),
    );
    const id = /request `([a-z0-9]+)`/.exec(answer)?.[1] as string;
    await eventually('the card', () => cardFor(ALPHA, id));
    await new Promise((r) => setTimeout(r, 1500));
    expect(stack.slack.messages(ALPHA).filter((m) => !m.ephemeral && reads(m).includes(`Request \`${id}\``))).toHaveLength(1);
    expect(stack.slack.calls.filter((c) => c.method === 'chat.postMessage' && JSON.stringify(c.args).includes(id))).toHaveLength(1);
  });

  it(
    'lets a user group’s last-known members keep their role only for the grace period ' + 'while Slack cannot be asked, then fails closed',
    async () => {
      expect(await command('U0GRP', ALPHA, 'approvals')).toContain('waiting for approval');
      stack.slack.storm('usergroups.users.list', [{ status: 503 }]);
      try {
        // Read ≤ 4 s ago: still known.
        expect(await command('U0GRP', ALPHA, 'approvals')).toContain('waiting for approval');
        await new Promise((r) => setTimeout(r, 4500));
        expect(await command('U0GRP', ALPHA, 'approvals')).toContain('You are not a member of any organisation of network *alpha*');
      } finally {
        stack.slack.storm('usergroups.users.list', undefined);
      }
      await new Promise((r) => setTimeout(r, 400));
      expect(await command('U0GRP', ALPHA, 'approvals')).toContain('waiting for approval');
    },
  );

  it('escapes what a person typed in the fallback text of a card, so it cannot ping the channel', async () => {
    const answer = await command('U0A1OP', ALPHA, 'cert register org1 sensor7 --attrs note=<!channel>');
    const id = idIn(answer, 'request');
    const card = await eventually('the card', () => cardFor(ALPHA, id));
    expect(card.text).toContain('&lt;!channel&gt;');
    expect(card.text).not.toContain('<!channel>');
  });
});

describe('work is shared fairly and checked before it runs', () => {
  it('runs a ping of beta at once while alpha’s queue is full of long jobs', async () => {
    const flood: string[] = [];
    for (let i = 0; i < 5; i++) flood.push(idIn(await command('U0A1OP', ALPHA, 'ping --hold 20'), 'job'));
    await eventually(
      'alpha’s two slots taken',
      async () => (await Promise.all(flood.map((id) => jobState('alpha', id)))).filter((j) => j.processedOn !== undefined).length === 2,
    );
    const started = Date.now();
    const betaJob = idIn(await command('U0B1OP', BETA, 'ping'), 'job');
    await eventually('beta’s ping to succeed', () => reads(statusOf(BETA, betaJob)).includes('succeeded'), 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    const waiting = (await Promise.all(flood.map((id) => jobState('alpha', id)))).filter((j) => j.processedOn === undefined).length;
    expect(waiting).toBe(3);
    for (const id of flood) await command('U0A1OP', ALPHA, `cancel ${id}`);
  });

  it('fails a job written into Redis by hand with a param missing, at once, naming the param, and does nothing', async () => {
    const connection = stack.redis.client.duplicate();
    const queue = new Queue('ops-alpha', { connection, prefix: 'fco' });
    try {
      await queue.add(
        'peers.scale',
        {
          type: 'peers.scale',
          params: { replicas: 2 },
          requester: { userId: 'U0A1OP' },
          channel: ALPHA,
          network: 'alpha',
          command: '/fabric peers scale',
          requestedAt: Date.now(),
        },
        { jobId: 'handmade1', attempts: 3 },
      );
      await eventually('the job to fail', async () => (await jobState('alpha', 'handmade1')).finishedOn !== undefined);
      const job = await jobState('alpha', 'handmade1');
      expect(job.failedReason).toContain("the job's data is not valid, so nothing was done: params.org");
      expect((await queue.getJob('handmade1'))?.attemptsMade).toBe(1);
      expect(reads(await eventually('its status', () => statusOf(ALPHA, 'handmade1')))).toContain('params.org');
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it('refuses ping --hold over 60 s', async () => {
    expect(await command('U0A1OP', ALPHA, 'ping --hold 600')).toContain('--hold must be a whole number from 1 to 60');
  });
});

describe('the edge', () => {
  it('records refusals of people outside every network at a limited rate', async () => {
    for (let i = 0; i < 10; i++) await command('U0STRANGER', 'C0NOWHERE', 'ping');
    const mine = (await stack.redis.client.xrange('fco:audit', '-', '+')).filter(([, f]) => f.includes('U0STRANGER'));
    // 3 a minute; the ten commands may straddle a minute boundary.
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.length).toBeLessThanOrEqual(6);
  });

  it('answers a click while Redis is down with "not counted, try again", and counts it once Redis is back', async () => {
    const id = idIn(await command('U0A1OP', ALPHA, 'peers scale org1 5'), 'request');
    const card = await eventually('the card', () => cardFor(ALPHA, id));
    const outage = stack.redis.crashAndRestart(4000);
    await new Promise((r) => setTimeout(r, 500));
    const before = ephemeralsFor('U0A1AD').length;
    const res = await stack.click(card, 'approval_approve', { user: 'U0A1AD', value: id });
    expect(res.status).toBe(200);
    const told = await eventually(
      'the answer',
      () => (ephemeralsFor('U0A1AD').length > before ? reads(ephemeralsFor('U0A1AD').at(-1)) : undefined),
      10_000,
    );
    expect(told).toContain('was not counted: the bot cannot reach Redis right now');
    await outage;
    await eventually('Redis back for the bot', async () => (await fetch(`${stack.bot.opsUrl}/readyz`)).status === 200, 20_000);
    expect(await click('U0A1AD', card, 'approval_approve', { settled: async () => (await votesOn(id)) === 1 })).toBe('');
  });
});
