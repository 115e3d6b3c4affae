import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { connectKube } from '../../src/k8s/client.js';
import { readSecretData } from '../../src/k8s/identities.js';
import { freePort } from '../infra/env/net.js';
import { startPeerWithIdentity } from '../infra/env/peer-runner.js';
import type { ManagedProcess } from '../infra/env/proc.js';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';
import { peerCli, testEnvironment } from './support.js';

/**
 * A deploy whose install step finds one of org2's peers down: the step says which peer it is
 * waiting for, the attempt fails naming it once OUTAGE_PATIENCE_MS has passed, and the job's
 * retry installs on it once the peer is back, then commits.
 */
const env = testEnvironment();
const PATIENCE_MS = 12_000;
const work = mkdtempSync(path.join(os.tmpdir(), 'fco-peer-down-'));

let stack: Stack;
let spare: ManagedProcess | undefined;
let sparePorts: [number, number, number];
let spareAddress: string;
const spareName = `spare-${Date.now().toString(36)}`;

const reads = (m: { blocks?: unknown[] }): string => JSON.stringify(m.blocks ?? []);

/** The deploy job's status message (not the approval card, not the per-org approval jobs). */
const deployStatus = (): StoredMessage | undefined =>
  stack.slack
    .messages('C0OPS')
    .find(
      (m) =>
        !m.ephemeral &&
        reads(m).includes('chaincode deploy pdown 1.0 ') &&
        reads(m).includes('Job `') &&
        !reads(m).includes('s approval') &&
        !reads(m).includes('Approval needed'),
    );

/** Every version of the deploy status message Slack accepted, oldest first. */
const statusHistory = (): string[] => {
  const m = deployStatus();
  return m === undefined ? [] : [...m.edits.map((e) => reads(e)), reads(m)];
};

beforeAll(async () => {
  sparePorts = (await Promise.all([freePort(), freePort(), freePort()])) as [number, number, number];
  spareAddress = `127.0.0.1:${sparePorts[0]}`;
  // The bot is told org2 has a second peer, which is down (nothing listens on its port yet).
  const config = parse(readFileSync(env.botConfig, 'utf8')) as { networks: { orgs: { name: string; peers: { endpoints: string[] } }[] }[] };
  const org2 = config.networks[0]?.orgs.find((o) => o.name === 'org2');
  if (org2 === undefined) throw new Error('no org2 in the environment config');
  org2.peers.endpoints.push(spareAddress);
  const configFile = path.join(work, 'bot.yaml');
  writeFileSync(configFile, stringify(config));

  stack = await startStack({
    secret: 'peer-down-signing-secret',
    token: 'xoxb-peer-down-token',
    channels: ['C0OPS', 'C0ALERTS'],
    users: ['U0BOB', 'U0ALICE', 'U0ADMIN1', 'U0ADMIN2'],
    config: configFile,
    env: { KUBECONFIG: env.kubeconfig, OUTAGE_PATIENCE_MS: String(PATIENCE_MS) },
    bot: 'bot',
    workers: 1,
  });
});

afterAll(async () => {
  await spare?.stop();
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

it('waits for the peer that is down, names it when the attempt fails, and installs on it once it is back', async () => {
  // The spare peer's identity comes from the bot, as a new peer's would.
  await stack.command(`cert enroll org2 ${spareName} --type peer`, { user: 'U0BOB' });
  await eventually(
    'the spare peer to be enrolled',
    () => stack.slack.messages('C0OPS').find((m) => reads(m).includes(`cert enroll org2 ${spareName}`) && reads(m).includes('succeeded')),
    30_000,
  );
  const identity = await readSecretData(connectKube(env.kubeconfig), env.namespace, `org2-id-${spareName}`);
  if (identity === undefined) throw new Error('the enrolled identity has no Secret');

  await stack.command(`chaincode deploy pdown 1.0 --address 127.0.0.1:${await freePort()}`);
  const card = await eventually('the approval card', () =>
    stack.slack
      .messages('C0OPS')
      .find((m) => !m.ephemeral && reads(m).includes('chaincode deploy pdown 1.0') && reads(m).includes('approval_approve')),
  );
  const requestId = /Request `([a-z0-9]+)`/.exec(reads(card))?.[1] as string;
  for (const admin of ['U0ADMIN1', 'U0ADMIN2']) {
    await stack.click(card, 'approval_approve', { user: admin, value: requestId });
    if (admin === 'U0ADMIN1')
      await eventually(
        'org1 to have approved in Fabric',
        () =>
          reads(stack.slack.messages('C0OPS').find((m) => m.ts === card.ts) ?? {}).includes('Org1MSP :white_check_mark: approved')
            ? true
            : undefined,
        30_000,
      );
  }

  const waiting = await eventually(
    'the install step to wait for the spare peer',
    () => statusHistory().find((v) => v.includes(`waiting for the peer ${spareAddress}`)),
    60_000,
  );
  expect(waiting).toContain('Install the package on every peer');
  expect(waiting).toContain(`(connect ECONNREFUSED ${spareAddress})`);

  const failed = await eventually(
    'the first attempt to fail, naming the peer',
    () => statusHistory().find((v) => /Will retry after|Attempt 1 failed|:x: failed\*/.test(v)),
    PATIENCE_MS + 30_000,
  );
  expect(failed).toMatch(/Will retry after|Attempt 1 failed/);
  expect(failed).toContain(`the peer ${spareAddress} is unavailable`);
  expect(failed).toMatch(/gave up after waiting 1\d s/);

  spare = (await startPeerWithIdentity(identity, { name: spareName, home: path.join(work, 'peer'), logDir: work, ports: sparePorts }))
    .process;

  const done = await eventually(
    'the deploy to finish',
    () => {
      const text = reads(deployStatus() ?? {});
      return /— :white_check_mark: succeeded\*|— :x: failed\*/.test(text) ? text : undefined;
    },
    120_000,
  );
  expect(done).toContain('succeeded');
  // The peer is dialled again within seconds of coming back: the second attempt finds it.
  expect(done).toContain('attempt 2 of 3');
  expect(done).toContain(`org2 ${spareAddress}: installed`);
  expect(done).toContain('committed on mychannel at sequence 1');
  const packageId = /(pdown_1\.0:[0-9a-f]{64})/.exec(done)?.[1] as string;
  expect(await peerCli('org2', ['lifecycle', 'chaincode', 'queryinstalled'], spareAddress)).toContain(packageId);
}, 240_000);
