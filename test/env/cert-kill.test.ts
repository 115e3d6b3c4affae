import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { caAccess } from '../../src/jobs/services/ca-access.js';
import { createPlatform, networkNamed, orgNamed } from '../../src/jobs/services/platform.js';
import { readIdentity } from '../../src/k8s/identities.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';
import { testEnvironment } from './support.js';

/**
 * `cert enroll` with its worker killed between the CA issuing the certificate and the Secret
 * being written: the job is finished by another worker, the identity has one stored certificate
 * (and its TLS one), and what the CA issued to the killed attempt is revoked, not left valid.
 */
const env = testEnvironment();
const CA_LOG = path.join(env.dir, 'logs', 'fabric-ca-org1.log');

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    secret: 'kill-signing-secret',
    token: 'xoxb-kill-token',
    channels: ['C0OPS', 'C0ALERTS'],
    config: env.botConfig,
    env: { WORKER_LOCK_MS: '5000', KUBECONFIG: env.kubeconfig },
    bot: 'bot',
  });
});

afterAll(async () => {
  await stack?.stop();
});

const enrollsSeen = (): number => (readFileSync(CA_LOG, 'utf8').match(/POST \/(?:api\/v1\/)?enroll 201/g) ?? []).length;

async function platformPieces() {
  const { config } = await loadConfig(env.botConfig);
  const platform = createPlatform(config, env.kubeconfig);
  const network = networkNamed(config, env.network);
  return { kube: platform.kube(), network, ...(await caAccess(platform.kube(), network, orgNamed(network, 'org1'))) };
}

/**
 * Freezes the worker the moment the CA logs an issued certificate, then kills it. The CA's log
 * names no identity and other test files may enroll at the same CA meanwhile, so whether the kill
 * landed in the window is read back from the CA and the cluster.
 */
async function enrollAndKillMidway(name: string): Promise<{ killedInWindow: boolean }> {
  // The worker frozen below must be the one that takes the job: the replacement an earlier try
  // left running (which may be finishing that try's job) is stopped first.
  for (const w of stack.workers) await w.stop();
  const worker = await stack.startWorker();
  const before = enrollsSeen();
  await stack.command(`cert enroll org1 ${name} --type peer`);
  const deadline = Date.now() + 20_000;
  while (enrollsSeen() === before) {
    if (Date.now() > deadline) throw new Error(`the CA issued nothing for ${name}:\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  worker.child.kill('SIGSTOP');
  const { kube, network, ca, registrar } = await platformPieces();
  const killedBeforeSave = (await readIdentity(kube, network.namespace, `org1-id-${name}`)) === undefined;
  const issuedBeforeKill = killedBeforeSave && (await ca.certificates(registrar, name)).length > 0;
  await stack.replaceWorker(worker);
  return { killedInWindow: issuedBeforeKill };
}

it('finishes after the kill with one stored identity, and revokes what the killed attempt was issued', async () => {
  // The window between the CA's answer and the Secret is a few milliseconds; try until the kill lands in it.
  let name = '';
  for (let i = 0; i < 6 && name === ''; i++) {
    const candidate = `killed-${Date.now()}-${i}`;
    if ((await enrollAndKillMidway(candidate)).killedInWindow) name = candidate;
  }
  expect(name).not.toBe('');
  const done = await eventually(
    'the enroll job to be finished by the other worker',
    () =>
      stack.slack
        .messages('C0OPS')
        .find(
          (m) =>
            !m.ephemeral &&
            JSON.stringify(m.blocks ?? []).includes(`cert enroll org1 ${name}`) &&
            /succeeded|failed/.test(JSON.stringify(m.blocks ?? [])),
        ),
    90_000,
  );
  const reads = JSON.stringify(done.blocks);
  if (!/revoked/.test(reads))
    process.stderr.write(
      `${stack.processes
        .map((a) => a.output())
        .join('\n')
        .split('\n')
        .filter((l) => /interrupted|enrolled|stalled|attempt/.test(l))
        .join('\n')}\n`,
    );
  expect(reads).toContain('succeeded');
  expect(reads).toContain('attempt 2');
  expect(reads).toMatch(/revoked [0-9a-f]+.*issued to an interrupted attempt and never stored/);
  const { kube, network, ca, registrar } = await platformPieces();
  const stored = await readIdentity(kube, network.namespace, `org1-id-${name}`);
  const storedSerials = [stored?.certPem, stored?.tlsCertPem]
    .map((pem) => new X509Certificate(pem ?? '').serialNumber.toLowerCase())
    .sort();
  const valid = (await ca.certificates(registrar, name)).map((c) => c.serial).sort();
  expect(valid).toEqual(storedSerials);
}, 240_000);
