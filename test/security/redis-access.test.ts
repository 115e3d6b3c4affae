import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pki } from '../infra/env/pki.js';
import { startEmbeddedRedis, freePort, type EmbeddedRedis } from '../../src/runtime/embedded-redis.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Redis is not an open door: the bot and its workers reach a Redis that wants a password, an ACL
 * user, or TLS with a CA of its own, as the README says to configure them, and say so plainly when
 * they are refused.
 */
const PASSWORD = 'correct-horse-battery';
const CONFIG = path.resolve('test/support/test-config.yaml');

const work = mkdtempSync(path.join(os.tmpdir(), 'fco-redis-access-'));
let stack: Stack;
let guarded: EmbeddedRedis;
let tls: EmbeddedRedis;
let tlsPort: number;
let ca: string;

beforeAll(async () => {
  // The emulator alone: each test starts its app against a Redis of its own.
  stack = await startStack({ secret: 'redis-access-secret', token: 'xoxb-redis-access-token', redis: false, bot: 'none' });
  // A password for the default user, and an ACL user limited to the bot's keys.
  guarded = await startEmbeddedRedis({
    dataDir: path.join(work, 'guarded'),
    extraArgs: ['--requirepass', PASSWORD, '--user', 'fco', 'on', '>fco-pass', '~fco:*', '&*', '+@all'],
  });
  const pki = new Pki(path.join(work, 'pki'));
  const authority = pki.ca('redis-ca', 'test redis CA');
  const server = pki.issue(authority, 'redis-server', { cn: 'redis', hosts: ['127.0.0.1', 'localhost'], usage: 'server' });
  ca = authority.cert;
  tlsPort = await freePort();
  tls = await startEmbeddedRedis({
    dataDir: path.join(work, 'tls'),
    extraArgs: [
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      server.cert,
      '--tls-key-file',
      server.key,
      '--tls-ca-cert-file',
      authority.cert,
      '--tls-auth-clients',
      'no',
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
  await guarded?.stop();
  await tls?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function pingThrough(env: Record<string, string>): Promise<string> {
  const app = await stack.startProcess('all', { STATUS_UPDATE_INTERVAL_MS: '200', ...env });
  await eventually('ready', async () => (await fetch(`${app.opsUrl}/readyz`)).status === 200, 10_000);
  const before = stack.slack.messages('C0OPS').filter((m) => !m.ephemeral).length;
  await stack.command('ping');
  const status = await eventually(
    'the ping to succeed',
    () =>
      stack.slack
        .messages('C0OPS')
        .filter((m) => !m.ephemeral)
        .slice(before)
        .find((m) => JSON.stringify(m.blocks ?? []).includes('Pong')),
    20_000,
  );
  await app.stop();
  return JSON.stringify(status.blocks);
}

describe('Redis with credentials', () => {
  it('works with REDIS_PASSWORD beside a plain REDIS_URL', async () => {
    expect(await pingThrough({ REDIS_URL: guarded.url, REDIS_PASSWORD: PASSWORD })).toContain('succeeded');
  });

  it('works with an ACL user and password in REDIS_URL', async () => {
    const url = guarded.url.replace('redis://', 'redis://fco:fco-pass@');
    expect(await pingThrough({ REDIS_URL: url })).toContain('succeeded');
  });

  it('is not ready without the password, and logs that Redis refused it, not the password', async () => {
    const app = await stack.startWorker({ REDIS_URL: guarded.url.replace('redis://', 'redis://fco:wrong-pass@') });
    await eventually('the refusal in the log', () => app.output().includes('Redis refused our credentials'), 10_000);
    expect((await fetch(`${app.opsUrl}/readyz`)).status).toBe(503);
    expect(app.output()).not.toContain('wrong-pass');
    await app.stop();
  });
});

describe('Redis over TLS', () => {
  it('works with rediss:// and REDIS_CA_FILE naming the CA of the server’s certificate', async () => {
    expect(await pingThrough({ REDIS_URL: `rediss://127.0.0.1:${tlsPort}`, REDIS_CA_FILE: ca })).toContain('succeeded');
  });

  it('refuses a server whose certificate it cannot verify', async () => {
    const app = await stack.startWorker({ REDIS_URL: `rediss://127.0.0.1:${tlsPort}` });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await fetch(`${app.opsUrl}/readyz`)).status).toBe(503);
    expect(app.output()).toMatch(/self-signed|unable to verify|certificate/i);
    await app.stop();
  });

  it('says REDIS_CA_FILE is for rediss:// when given with a plain URL', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [path.resolve('dist/main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: os.tmpdir(),
        ROLE: 'worker',
        SLACK_BOT_TOKEN: stack.token,
        FABRIC_CHATOPS_CONFIG: CONFIG,
        REDIS_URL: guarded.url,
        REDIS_CA_FILE: ca,
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('REDIS_CA_FILE: is for TLS: REDIS_URL must start with rediss://');
  });
});
