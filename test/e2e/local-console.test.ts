import { afterAll, beforeAll, expect, it } from '@jest/globals';
import http from 'node:http';
import type { ConsoleState, VisibleMessage } from '../../src/console/console-server.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/** `npm start` with no Slack credentials: the bot runs against the local console on PORT. */
type ConsoleMessage = VisibleMessage;

let stack: Stack;

beforeAll(async () => {
  // The bundled example config, as on a fresh clone.
  stack = await startStack({ slack: false, config: false, env: { STATUS_UPDATE_INTERVAL_MS: '500' } });
});

afterAll(async () => {
  await stack?.stop();
});

const state = async (user: string, since?: number): Promise<ConsoleState> =>
  (await (
    await fetch(`${stack.bot.url}/console/api/state?user=${user}${since === undefined ? '' : `&since=${since}`}`)
  ).json()) as ConsoleState;
const post = async (path: string, body: unknown): Promise<Response> =>
  fetch(`${stack.bot.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const reads = (m: ConsoleMessage): string => `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;

it('serves the console page and says so in the log', async () => {
  const page = await fetch(`${stack.bot.url}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('local console');
  expect((await fetch(`${stack.bot.url}/console.js`)).status).toBe(200);
  expect(stack.bot.output()).toContain(`the local console stands in for Slack; open http://127.0.0.1:${stack.bot.port}`);
  expect((await fetch(`${stack.bot.url}/healthz`)).status).toBe(200);
});

it('lists the configured members with their orgs and roles, the bound channels and the bot’s help', async () => {
  const s = await state('U0ALICE');
  expect(s.members).toEqual(
    expect.arrayContaining([
      { id: 'U0ALICE', name: 'alice', description: 'org1 operator' },
      { id: 'U0ADMIN2', name: 'admin2', description: 'org2 admin' },
    ]),
  );
  expect(s.channels.map((c) => c.id)).toEqual(['C0OPS', 'C0ALERTS']);
  expect(s.help).toContain('/fabric ping [--hold SECONDS]');
});

it('runs a typed command as the acting member: their answer is theirs alone, the status message everyone’s', async () => {
  const res = await post('/console/api/command', { user: 'U0ALICE', channel: 'C0OPS', text: '/fabric ping --hold 2' });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { status: number }).status).toBe(200);
  const answer = await eventually('alice’s answer', async () =>
    (await state('U0ALICE')).messages.find((m) => m.ephemeral && /Queued job/.test(m.text ?? '')),
  );
  const jobId = /`([a-z0-9]+)`/.exec(answer.text ?? '')?.[1] as string;
  expect((await state('U0ADMIN1')).messages.some((m) => m.ephemeral)).toBe(false);
  const done = await eventually('the status message to finish, updated in place', async () => {
    const m = (await state('U0ADMIN1')).messages.find((x) => !x.ephemeral && reads(x).includes(`Job \`${jobId}\``));
    return m !== undefined && reads(m).includes('succeeded') ? m : undefined;
  });
  expect(done.edited).toBe(true);
  expect((await state('U0ADMIN1')).messages.filter((x) => reads(x).includes(`Job \`${jobId}\``))).toHaveLength(1);
});

it('clicks a button as the acting member: Cancel on a running job', async () => {
  await post('/console/api/command', { user: 'U0ALICE', channel: 'C0OPS', text: 'ping --hold 30' });
  const running = await eventually('a running job with a Cancel button', async () =>
    (await state('U0ALICE')).messages.find((m) => !m.ephemeral && reads(m).includes('Hold 30000 ms') && reads(m).includes('job_cancel')),
  );
  const jobId = /Job `([a-z0-9]+)`/.exec(reads(running))?.[1] as string;
  const res = await post('/console/api/click', { user: 'U0ALICE', channel: 'C0OPS', ts: running.ts, actionId: 'job_cancel', value: jobId });
  expect(res.status).toBe(200);
  await eventually(
    'the job to show cancelled',
    async () => {
      const m = (await state('U0ALICE')).messages.find((x) => x.ts === running.ts);
      return m !== undefined && /cancel/i.test(reads(m).replace(/job_cancel/g, '')) && !reads(m).includes('job_cancel');
    },
    40_000,
  );
});

it('wakes a waiting page as soon as something changes', async () => {
  const before = await state('U0ALICE');
  const waiting = state('U0ALICE', before.revision);
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  await post('/console/api/command', { user: 'U0ALICE', channel: 'C0OPS', text: 'help ping' });
  const after = await waiting;
  expect(after.revision).toBeGreaterThan(before.revision);
  expect(Date.now() - t0).toBeLessThan(5000);
});

it('says plainly that there is no cluster when the example config’s network is asked about', async () => {
  await post('/console/api/command', { user: 'U0ALICE', channel: 'C0OPS', text: 'status' });
  await eventually('the answer', async () =>
    (await state('U0ALICE')).messages.find((m) => m.ephemeral && (m.text ?? '').includes('Kubernetes is not configured: set KUBECONFIG')),
  );
});

it('refuses bad input with a message and sends nothing to the bot', async () => {
  const before = (await state('U0ALICE')).messages.length;
  const other = await post('/console/api/command', { user: 'U0ALICE', channel: 'C0OPS', text: '/deploy now' });
  expect(other.status).toBe(400);
  expect(((await other.json()) as { error: string }).error).toBe('/deploy is not a command here; this workspace has /fabric');
  expect((await post('/console/api/command', { user: 'U0NOBODY', channel: 'C0OPS', text: 'status' })).status).toBe(400);
  expect((await post('/console/api/click', { user: 'U0ALICE', channel: 'C0OPS', ts: '1.000001', actionId: 'nope' })).status).toBe(409);
  expect((await state('U0ALICE')).messages.length).toBe(before);
});

it('broke no rule of Slack’s contract', async () => {
  expect((await state('U0ALICE')).problems).toEqual([]);
});

/** A raw request, so the test can set a Host header (fetch keeps its own). */
function rawRequest(method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: stack.bot.port, method, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end(body);
  });
}

it('refuses what another site or a rebound DNS name could send it: a foreign Origin, a foreign Host, a non-JSON post', async () => {
  const before = (await state('U0ALICE')).messages.length;
  const body = JSON.stringify({ user: 'U0ALICE', channel: 'C0OPS', text: '/fabric ping' });
  const foreignOrigin = await fetch(`${stack.bot.url}/console/api/command`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
    body,
  });
  expect(foreignOrigin.status).toBe(403);
  // text/plain is what a page on another site may post without asking the browser first.
  const simplePost = await fetch(`${stack.bot.url}/console/api/command`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body,
  });
  expect(simplePost.status).toBe(403);
  expect(await rawRequest('GET', '/console/api/state?user=U0ALICE', { Host: `evil.example:${stack.bot.port}` })).toBe(403);
  expect(
    await rawRequest(
      'POST',
      '/console/api/command',
      { Host: `rebound.example:${stack.bot.port}`, 'Content-Type': 'application/json' },
      body,
    ),
  ).toBe(403);
  // The page's own requests still work, and nothing reached the bot.
  expect(await rawRequest('GET', '/console/api/state?user=U0ALICE', { Host: `localhost:${stack.bot.port}` })).toBe(200);
  await new Promise((r) => setTimeout(r, 500));
  expect((await state('U0ALICE')).messages.length).toBe(before);
});
