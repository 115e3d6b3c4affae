import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

const CHANNEL = 'C0TRI';
const users = ['U0OP1', 'U0AD1', 'U0AD1B', 'U0VW1', 'U0OP2', 'U0AD2', 'U0VW2', 'U0OP3', 'U0AD3', 'U0STRANGER', 'U0GROUPIE'];

let stack: Stack;

const ephemeralsFor = (user: string): StoredMessage[] => stack.ephemeralFor(user);
const cards = (): StoredMessage[] =>
  stack.slack.messages(CHANNEL).filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes('Approval needed'));
const reads = (m: StoredMessage | undefined): string => stack.lastText(m);
const cardFor = (id: string): StoredMessage | undefined => cards().find((m) => reads(m).includes(`Request \`${id}\``));
/** Sends the command and returns the text of the answer. */
async function ask(user: string, text: string): Promise<string | undefined> {
  return (await (await stack.command(text, { user, channel: CHANNEL })).answer()).text;
}

/** Sends the command and returns the approval request id from the answer. */
async function request(user: string, text: string): Promise<string> {
  const res = await stack.command(text, { user, channel: CHANNEL });
  expect(res.status).toBe(200);
  const answer = (await res.answer()).text;
  const id = /request `([a-z0-9]+)`/.exec(answer ?? '')?.[1];
  if (id === undefined) throw new Error(`no approval request in: ${answer}`);
  await eventually('the card', () => cardFor(id));
  return id;
}

/** `seen`: the card as the clicker's (lagging) client still shows it, when not the current one. */
async function click(
  user: string,
  id: string,
  action: 'approval_approve' | 'approval_reject' = 'approval_approve',
  seen?: StoredMessage,
): Promise<{ counted: boolean; reply?: string }> {
  const card = cardFor(id) as StoredMessage;
  const before = ephemeralsFor(user).length;
  const votesBefore = await stack.redis.client.hlen(`fco:approval:${id}:votes`);
  const res = await stack.click(card, action, { user, value: id, ...(seen?.blocks === undefined ? {} : { seenBlocks: seen.blocks }) });
  expect(res.status).toBe(200);
  expect(res.ms).toBeLessThan(3000);
  // Either a vote lands in Redis or the clicker is told why not.
  return eventually('the click to be decided', async () => {
    if ((await stack.redis.client.hlen(`fco:approval:${id}:votes`)) > votesBefore) return { counted: true };
    const mine = ephemeralsFor(user);
    return mine.length > before ? { counted: false, reply: mine.at(-1)?.text } : undefined;
  });
}

async function jobsFor(id: string): Promise<number> {
  return (await stack.redis.client.exists(`fco:ops-tri:${id}`)) + (await stack.redis.client.keys(`fco:ops-tri:${id}-*`)).length;
}

beforeAll(async () => {
  stack = await startStack({
    secret: 'approvals-secret',
    token: 'xoxb-approvals-token',
    channels: [CHANNEL],
    users,
    usergroups: { S0ADMINS3: ['U0GROUPIE'] },
    config: path.resolve('test/support/approvals-config.yaml'),
    env: { STATUS_UPDATE_INTERVAL_MS: '200' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

type Case = [requester: string, command: string, clicker: string, expected: 'counted' | RegExp];

// ping: MAJORITY of org1, org2, org3, admins only. peers scale: the requester's org, admins only.
const table: Case[] = [
  ['U0OP1', 'ping', 'U0AD1', 'counted'],
  ['U0OP1', 'ping', 'U0AD2', 'counted'],
  ['U0OP1', 'ping', 'U0AD3', 'counted'],
  ['U0OP1', 'ping', 'U0GROUPIE', 'counted'], // admin of org3 through a Slack user group
  ['U0OP1', 'ping', 'U0OP1', /asked for this change/],
  ['U0OP1', 'ping', 'U0VW1', /needs the admin role in org1; you are viewer/],
  ['U0OP1', 'ping', 'U0OP2', /needs the admin role in org2; you are operator/],
  ['U0OP1', 'ping', 'U0OP3', /needs the admin role in org3; you are operator/],
  ['U0OP1', 'ping', 'U0VW2', /needs the admin role in org2; you are viewer/],
  ['U0OP1', 'ping', 'U0STRANGER', /not a member of any organisation/],
  ['U0AD1', 'ping', 'U0AD1', /asked for this change/],
  ['U0AD1', 'ping', 'U0AD1B', 'counted'],
  ['U0AD1', 'ping', 'U0AD2', 'counted'],
  ['U0VW2', 'ping', 'U0AD2', 'counted'],
  ['U0VW2', 'ping', 'U0VW2', /asked for this change/],
  ['U0VW2', 'ping', 'U0OP1', /needs the admin role in org1/],
  ['U0OP1', 'peers scale org1 2', 'U0AD1', 'counted'],
  ['U0OP1', 'peers scale org1 2', 'U0AD1B', 'counted'],
  ['U0OP1', 'peers scale org1 2', 'U0AD2', /is not asked to approve this; org1 is/],
  ['U0OP1', 'peers scale org1 2', 'U0AD3', /is not asked to approve this; org1 is/],
  ['U0OP1', 'peers scale org1 2', 'U0GROUPIE', /is not asked to approve this/],
  ['U0OP1', 'peers scale org1 2', 'U0OP1', /asked for this change/],
  ['U0OP1', 'peers scale org1 2', 'U0VW1', /needs the admin role in org1; you are viewer/],
  ['U0OP1', 'peers scale org1 2', 'U0STRANGER', /not a member/],
  ['U0OP2', 'peers scale org2 3', 'U0AD2', 'counted'],
  ['U0OP2', 'peers scale org2 3', 'U0AD1', /is not asked to approve this; org2 is/],
  ['U0OP2', 'peers scale org2 3', 'U0OP2', /asked for this change/],
  ['U0OP2', 'peers scale org2 3', 'U0VW2', /needs the admin role in org2; you are viewer/],
  ['U0OP3', 'peers scale org3 2', 'U0AD3', 'counted'],
  ['U0OP3', 'peers scale org3 2', 'U0GROUPIE', 'counted'],
  ['U0OP3', 'peers scale org3 2', 'U0OP2', /is not asked to approve this; org3 is/],
  ['U0AD3', 'peers scale org3 2', 'U0AD3', /asked for this change/],
];

describe('approval buttons over signed block_actions', () => {
  it(`decide ${table.length} (requester, clicker, command) cases as the policy says`, async () => {
    expect(table.length).toBeGreaterThanOrEqual(30);
    const wrong: string[] = [];
    for (const [requester, command, clicker, expected] of table) {
      const id = await request(requester, command);
      const r = await click(clicker, id);
      const ok = expected === 'counted' ? r.counted : !r.counted && expected.test(r.reply ?? '');
      if (!ok) wrong.push(`${requester} ${command} / ${clicker}: expected ${String(expected)}, got ${r.counted ? 'counted' : r.reply}`);
    }
    expect(wrong).toEqual([]);
  });

  it('a requester may not request what their role does not allow', async () => {
    const answer = await ask('U0VW1', 'peers scale org1 2');
    expect(answer).toContain('needs the operator role; you are viewer in org1');
    expect(await ask('U0OP1', 'audit')).toContain('needs the admin role');
  });

  it('counts a double click once, and an approval meeting the rule queues exactly one job', async () => {
    const id = await request('U0OP1', 'ping');
    expect((await click('U0AD1', id)).counted).toBe(true);
    const again = await click('U0AD1', id);
    expect(again.counted).toBe(false);
    expect(again.reply).toContain('org1 has already voted');
    const sameOrg = await click('U0AD1B', id);
    expect(sameOrg.reply).toContain('org1 has already voted');
    expect(await stack.redis.client.hlen(`fco:approval:${id}:votes`)).toBe(1);
    expect(await jobsFor(id)).toBe(0);
    const stale = structuredClone(cardFor(id) as StoredMessage);
    expect((await click('U0AD2', id)).counted).toBe(true);
    await eventually('the card to show the job', () => reads(cardFor(id)).includes('Approved: job'));
    expect(await jobsFor(id)).toBe(1);
    await eventually('the job to finish', async () => (await stack.redis.client.hget(`fco:ops-tri:${id}`, 'finishedOn')) !== null);
    const late = await click('U0AD3', id, 'approval_approve', stale);
    expect(late.reply).toContain('already approved');
    expect(reads(cardFor(id))).not.toContain('approval_approve');
  });

  it('a rejection by a required organisation ends the request', async () => {
    const id = await request('U0OP1', 'ping');
    const stale = structuredClone(cardFor(id) as StoredMessage);
    expect((await click('U0AD2', id, 'approval_reject')).counted).toBe(true);
    await eventually('the card to say rejected', () => reads(cardFor(id)).includes('Rejected'));
    const after = await click('U0AD1', id, 'approval_approve', stale);
    expect(after.reply).toContain('already rejected');
    expect(await jobsFor(id)).toBe(0);
  });

  it('refuses a vote on an expired request and marks the card expired', async () => {
    const id = await request('U0OP1', 'ping');
    await stack.redis.client.hset(`fco:approval:${id}`, 'expiresAt', String(Date.now() - 1000));
    const r = await click('U0AD1', id);
    expect(r.counted).toBe(false);
    expect(r.reply).toContain('expired');
    await eventually('the card to say expired', () => reads(cardFor(id)).includes('Expired'));
    expect(await jobsFor(id)).toBe(0);
  });

  it('clicks arriving at the same moment from three organisations make exactly one job', async () => {
    const id = await request('U0OP1', 'ping');
    const card = cardFor(id) as StoredMessage;
    const clicks = await Promise.all(['U0AD1', 'U0AD2', 'U0AD3'].map((u) => stack.click(card, 'approval_approve', { user: u, value: id })));
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200]);
    await eventually('the job', async () => (await jobsFor(id)) === 1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await jobsFor(id)).toBe(1);
    const granted = (await stack.redis.client.xrange('fco:audit', '-', '+')).filter(
      ([, f]) => f.includes('approval.granted') && f.includes(id),
    );
    expect(granted).toHaveLength(1);
    expect(await stack.redis.client.hlen(`fco:approval:${id}:votes`)).toBe(2);
  });

  it('lists open requests with /fabric approvals, and audits every decision', async () => {
    const id = await request('U0OP2', 'peers scale org2 4');
    const list = await ask('U0VW1', 'approvals');
    expect(list).toContain(id);
    const rows = await stack.redis.client.xrange('fco:audit', '-', '+');
    const actions = rows.map(([, f]) => f[f.indexOf('action') + 1]);
    expect(actions).toEqual(expect.arrayContaining(['approval.requested', 'approval.approve', 'approval.reject', 'approval.granted']));
    const refusedVotes = rows.filter(
      ([, f]) => f[f.indexOf('action') + 1] === 'approval.approve' && f[f.indexOf('result') + 1] === 'refused',
    );
    expect(refusedVotes.length).toBeGreaterThanOrEqual(15);
  });
});
