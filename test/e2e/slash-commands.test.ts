import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signSlackRequest, type StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
const statusMessages = (jobId: string): StoredMessage[] => stack.statusMessages(jobId);
/** The message as it reads now (the emulator keeps the current blocks on the message). */
const lastText = (m: StoredMessage): string => stack.lastText(m);
const ephemeralFor = (user: string): StoredMessage[] => stack.ephemeralFor(user);
const answerTo = (user: string, before: number): Promise<string> => stack.answerTo(user, before);

beforeAll(async () => {
  stack = await startStack({
    secret: 'e2e-signing-secret',
    token: 'xoxb-e2e-token',
    channels: ['C0OPS', 'C0UNBOUND', 'C0ALERTS'],
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0VIEWER', name: 'val' },
      { id: 'U0BOB', name: 'bob' },
      { id: 'U0CAROL', name: 'carol' },
    ],
    usergroups: { S0OPS: ['U0CAROL'] },
    env: { STATUS_UPDATE_INTERVAL_MS: '1000' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('the Slack edge over real HTTP', () => {
  it('answers a signed /fabric help with the help text', async () => {
    const res = await stack.command('help');
    expect(res.status).toBe(200);
    expect(res.body).toContain('/fabric ping');
    expect(res.body).toContain('/fabric job ID');
    expect(res.ms).toBeLessThan(3000);
  });

  it('rejects a forged signature with 401 and does nothing', async () => {
    const before = await stack.redis.client.xlen('fco:audit');
    const res = await stack.command('ping', { sign: { signature: `v0=${'0'.repeat(64)}` } });
    expect(res.status).toBe(401);
    const wrongSecret = await stack.command('ping', { sign: { secret: 'not-the-secret' } });
    expect(wrongSecret.status).toBe(401);
    expect(await stack.redis.client.xlen('fco:audit')).toBe(before);
  });

  it('rejects a request whose timestamp is older than five minutes', async () => {
    const res = await stack.command('help', { sign: { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 } });
    expect(res.status).toBe(401);
  });

  it('signs like Slack documents (v0 HMAC-SHA256 over v0:ts:body)', () => {
    expect(signSlackRequest('k', 1, 'b')).toMatch(/^v0=[0-9a-f]{64}$/);
  });

  it('answers an unknown subcommand with an ephemeral usage error naming it', async () => {
    const res = await stack.command('frobnicate now');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('`frobnicate` is not a command');
    expect(body.text).toContain('/fabric help');
  });

  it('answers a bad argument with the problem and the right form', async () => {
    const res = await stack.command('ping --hold forever');
    const body = JSON.parse(res.body) as { text: string };
    expect(body.text).toContain('--hold must be a whole number from 1 to 60, not `forever`');
    expect(body.text).toContain('/fabric ping [--hold SECONDS]');
  });

  it('runs /fabric ping as a job: status posted, updated in place, finished', async () => {
    const before = ephemeralFor('U0ALICE').length;
    const res = await stack.command('ping --hold 2');
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    const answer = await answerTo('U0ALICE', before);
    const jobId = /Queued job `([a-z0-9]+)`/.exec(answer)?.[1];
    expect(jobId).toBeDefined();
    const done = await eventually('the ping job to finish', () => {
      const msgs = statusMessages(jobId as string);
      return msgs.length === 1 && lastText(msgs[0] as StoredMessage).includes('succeeded') ? msgs[0] : undefined;
    });
    expect(statusMessages(jobId as string)).toHaveLength(1);
    expect(done.edits.length).toBeGreaterThanOrEqual(2);
    expect(lastText(done)).toContain('Pong: queue latency');
    expect(lastText(done)).toContain('Hold 2000 ms');
    // Progress is coalesced: never two progress updates of one message within a second. The final
    // state is not held back (it may follow the last progress update at once).
    const times = [done.postedAt, ...done.edits.map((e) => e.at)].slice(0, -1);
    for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(950);
  });

  it('makes one job of a request that Slack retries', async () => {
    const triggerId = `${Date.now()}.1234.abcdef`;
    const first = await stack.command('ping', { triggerId });
    const again = await stack.command('ping', { triggerId, sign: { retryNum: 1 } });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    const jobIds = await eventually('both answers', () => {
      const texts = ephemeralFor('U0ALICE').map((m) => m.text ?? '');
      const ids = texts.flatMap((t) => [...(/(?:Queued job|Already queued as job) `([a-z0-9]+)`/.exec(t)?.slice(1) ?? [])]);
      return texts.some((t) => t.startsWith('Already queued')) ? ids : undefined;
    });
    const last = jobIds.at(-1) as string;
    expect(jobIds.filter((id) => id === last)).toHaveLength(2);
    await eventually(
      'the job to finish',
      () => statusMessages(last).length === 1 && lastText(statusMessages(last)[0] as StoredMessage).includes('succeeded'),
    );
    const counts = await stack.redis.client.keys('fco:ops-testnet:*');
    expect(counts.filter((k) => /^fco:ops-testnet:[a-z0-9]{12}$/.test(k) && k.endsWith(last))).toHaveLength(1);
    expect(statusMessages(last)).toHaveLength(1);
  });

  it('delivers the status message after a 429, once Retry-After has passed', async () => {
    stack.slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 2 }, 1);
    const before = ephemeralFor('U0ALICE').length;
    const t0 = Date.now();
    await stack.command('ping');
    const jobId = /`([a-z0-9]+)`/.exec(await answerTo('U0ALICE', before))?.[1] as string;
    const msg = await eventually(
      'the status message',
      () => {
        const m = statusMessages(jobId)[0];
        return m !== undefined && lastText(m).includes('succeeded') ? m : undefined;
      },
      30_000,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(statusMessages(jobId)).toHaveLength(1);
    expect(lastText(msg)).toContain('Pong');
    expect(stack.slack.calls.some((c) => c.method === 'chat.postMessage' && c.status === 429)).toBe(true);
  });

  it('refuses a command in a channel bound to no network, and a viewer running an operator command', async () => {
    let before = ephemeralFor('U0ALICE').length;
    await stack.command('ping', { channel: 'C0UNBOUND' });
    expect(await answerTo('U0ALICE', before)).toContain('not bound to a Fabric network');
    before = ephemeralFor('U0VIEWER').length;
    await stack.command('audit', { user: 'U0VIEWER' });
    expect(await answerTo('U0VIEWER', before)).toContain('needs the operator role; you are viewer in org2');
    before = ephemeralFor('U0BOB').length;
    await stack.command('jobs', { user: 'U0BOB' });
    expect(await answerTo('U0BOB', before)).toContain('not a member of any organisation');
  });

  it('resolves members through Slack user groups', async () => {
    const before = ephemeralFor('U0CAROL').length;
    await stack.command('jobs', { user: 'U0CAROL' });
    expect(await answerTo('U0CAROL', before)).not.toContain('not a member');
    expect(stack.slack.calls.some((c) => c.method === 'usergroups.users.list')).toBe(true);
  });

  it('lists jobs, shows one, cancels one, and shows the audit trail', async () => {
    let before = ephemeralFor('U0ALICE').length;
    await stack.command('ping --hold 30');
    const jobId = /`([a-z0-9]+)`/.exec(await answerTo('U0ALICE', before))?.[1] as string;
    await eventually('the job to run', () => statusMessages(jobId).some((m) => lastText(m).includes('running')));

    before = ephemeralFor('U0ALICE').length;
    await stack.command('jobs');
    expect(await answerTo('U0ALICE', before)).toContain(jobId);

    before = ephemeralFor('U0ALICE').length;
    await stack.command(`job ${jobId}`);
    expect(await answerTo('U0ALICE', before)).toContain('running');

    before = ephemeralFor('U0VIEWER').length;
    await stack.command(`cancel ${jobId}`, { user: 'U0VIEWER' });
    expect(await answerTo('U0VIEWER', before)).toContain('Only the requester or an operator');

    before = ephemeralFor('U0ALICE').length;
    await stack.command(`cancel ${jobId}`);
    expect(await answerTo('U0ALICE', before)).toContain('stops at its next step');
    await eventually('the job to be cancelled', () => statusMessages(jobId).some((m) => lastText(m).includes('cancelled by')), 20_000);

    before = ephemeralFor('U0ALICE').length;
    await stack.command('audit 50');
    const audit = await answerTo('U0ALICE', before);
    expect(audit).toContain('job.cancel');
    expect(audit).toContain('command ping');
    expect(audit).toContain('job.succeeded');
  });

  it('cancels through the button on the status message, for the requester only', async () => {
    let before = ephemeralFor('U0ALICE').length;
    await stack.command('ping --hold 30');
    const jobId = /`([a-z0-9]+)`/.exec(await answerTo('U0ALICE', before))?.[1] as string;
    const msg = await eventually('the running status', () => statusMessages(jobId).find((m) => lastText(m).includes('running')));
    before = ephemeralFor('U0VIEWER').length;
    const refused = await stack.click(msg, 'job_cancel', { user: 'U0VIEWER', value: jobId });
    expect(refused.status).toBe(200);
    expect(await answerTo('U0VIEWER', before)).toContain('Only the requester or an operator');
    const click = await stack.click(msg, 'job_cancel', { user: 'U0ALICE', value: jobId });
    expect(click.status).toBe(200);
    expect(click.ms).toBeLessThan(3000);
    await eventually('the job to be cancelled', () => statusMessages(jobId).some((m) => lastText(m).includes('cancelled by')), 20_000);
  });

  it('serves /healthz, and /readyz and Prometheus /metrics on the ops port only, not where Slack reaches it', async () => {
    expect((await fetch(`${stack.bot.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.bot.opsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.bot.opsUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${stack.bot.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${stack.bot.url}/readyz`)).status).toBe(404);
    const metrics = await (await fetch(`${stack.bot.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/fabric_chatops_jobs_total\{type="ping",outcome="succeeded"\} [1-9]/);
    expect(metrics).toContain('fabric_chatops_job_duration_seconds_bucket');
    expect(metrics).toMatch(/fabric_chatops_slack_rate_limited_total\{method="chat.postMessage"\} [1-9]/);
  });

  it('acknowledges within 3 s even while Redis is stalled', async () => {
    const blocker = stack.redis.client.duplicate();
    const stall = blocker.call('DEBUG', 'SLEEP', '4');
    await new Promise((r) => setTimeout(r, 100));
    const res = await stack.command('ping');
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    const readyz = await fetch(`${stack.bot.opsUrl}/readyz`);
    expect(readyz.status).toBe(503);
    await stall;
    blocker.disconnect();
  });

  it('broke none of Slack’s rules: valid blocks, acks in time, response_url within its limits', () => {
    expect(stack.slack.problems).toEqual([]);
  });

  it('never writes a token or the signing secret to its logs', () => {
    expect(stack.bot.output()).not.toContain(stack.token);
    expect(stack.bot.output()).not.toContain(stack.secret);
  });
});
