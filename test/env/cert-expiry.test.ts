import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { connectKube } from '../../src/k8s/client.js';
import { readIdentity } from '../../src/k8s/identities.js';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';
import { testEnvironment } from './support.js';

/**
 * The scheduled certificate expiry warning: two workers scan on a short timer; one announcement per
 * certificate lands in the alert channel, and its Renew button renews through the org's CA.
 */
const env = testEnvironment();
const kube = connectKube(env.kubeconfig);
const ALERTS = 'C0ALERTS';
const IDENTITY = 'expiry-watch';

let stack: Stack;
const work = mkdtempSync(path.join(os.tmpdir(), 'fco-expiry-'));

beforeAll(async () => {
  // The cluster's network under a name of its own, so the scan sees only identities this file
  // stores; a window of 400 days makes a year-long CA certificate count as expiring.
  const config = parse(readFileSync(env.botConfig, 'utf8')) as {
    networks: { name: string }[];
    members: { network: string }[];
    alerts?: unknown;
  };
  for (const n of config.networks) n.name = 'expirynet';
  for (const m of config.members) m.network = 'expirynet';
  config.alerts = { certExpiryDays: 400 };
  const file = path.join(work, 'config.yaml');
  writeFileSync(file, stringify(config));
  stack = await startStack({
    secret: 'expiry-signing-secret',
    token: 'xoxb-expiry-token',
    channels: ['C0OPS', ALERTS],
    users: ['U0ALICE', 'U0VIEWER', 'U0VIEWER1'],
    config: file,
    env: { KUBECONFIG: env.kubeconfig, CERT_SCAN_MS: '1500' },
    bot: 'bot',
    workers: 2,
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

const warnings = (): StoredMessage[] =>
  stack.slack.messages(ALERTS).filter((m) => (m.text ?? '').includes('expire') && JSON.stringify(m.blocks ?? []).includes(IDENTITY));
const serialOf = async (): Promise<string> =>
  new X509Certificate((await readIdentity(kube, env.namespace, `org1-id-${IDENTITY}`))?.certPem ?? '').serialNumber.toLowerCase();

it('announces a certificate inside the window once, with a Renew button, however many workers scan', async () => {
  const before = stack.slack.messages().filter((m) => m.ephemeral).length;
  await stack.command(`cert enroll org1 ${IDENTITY}`);
  await eventually('the enroll answer', () => stack.slack.messages().filter((m) => m.ephemeral).length > before);
  const warning = await eventually('the expiry warning', () => warnings()[0], 60_000);
  const serial = await serialOf();
  const reads = JSON.stringify(warning.blocks);
  expect(warning.text).toMatch(/certificates? in expirynet expires? within 400 days/);
  expect(reads).toContain(`serial ${serial.slice(0, 16)}`);
  expect(reads).toContain('"action_id":"alert_renew_cert"');
  // Several scans later, still one announcement of that certificate.
  await new Promise((r) => setTimeout(r, 5000));
  expect(warnings().filter((m) => JSON.stringify(m.blocks).includes(serial.slice(0, 16)))).toHaveLength(1);
}, 90_000);

it('renews the certificate when an operator presses Renew: new serial, same Secret', async () => {
  const before = await serialOf();
  const warning = warnings()[0] as StoredMessage;
  const res = await stack.click(warning, 'alert_renew_cert', { user: 'U0ALICE', value: `expirynet/org1/${IDENTITY}` });
  expect(res.status).toBe(200);
  const done = await eventually(
    'the renew job to finish',
    () =>
      stack.slack
        .messages(ALERTS)
        .find(
          (m) =>
            !m.ephemeral &&
            JSON.stringify(m.blocks ?? []).includes(`cert renew org1 ${IDENTITY}`) &&
            /succeeded|failed/.test(JSON.stringify(m.blocks)),
        ),
    60_000,
  );
  expect(JSON.stringify(done.blocks)).toContain('succeeded');
  expect(await serialOf()).not.toBe(before);
}, 90_000);

it(
  'refuses the Renew button to a viewer of the org, to another org’s member, ' + 'and when its value names another network; renews nothing',
  async () => {
    const before = await serialOf();
    const warning = warnings()[0] as StoredMessage;
    const real = `expirynet/org1/${IDENTITY}`;
    const press = async (user: string, value: string): Promise<string> => {
      const answers = stack.slack.messages().filter((m) => m.ephemeral && m.user === user).length;
      // A forged value is sent as a client showing blocks with that value would send it.
      const seenBlocks = value === real ? undefined : (JSON.parse(JSON.stringify(warning.blocks).replaceAll(real, value)) as unknown[]);
      await stack.click(warning, 'alert_renew_cert', { user, value, ...(seenBlocks === undefined ? {} : { seenBlocks }) });
      return (
        (await eventually('the refusal', () => stack.slack.messages().filter((m) => m.ephemeral && m.user === user)[answers])).text ?? ''
      );
    };
    expect(await press('U0VIEWER1', real)).toContain('needs the operator role');
    expect(await press('U0VIEWER', real)).toContain("only org1's members may ask for it");
    // A forged click: the value names another network than the one this channel serves.
    expect(await press('U0ALICE', `othernet/org1/${IDENTITY}`)).toContain('That button does nothing here');
    await new Promise((r) => setTimeout(r, 2000));
    expect(await serialOf()).toBe(before);
  },
);

it('broke no rule of Slack’s contract', () => {
  expect(stack.slack.problems).toEqual([]);
});
