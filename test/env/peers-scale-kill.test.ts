import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { caAccess } from '../../src/jobs/services/ca-access.js';
import { createPlatform, networkNamed, orgNamed } from '../../src/jobs/services/platform.js';
import { connectKube } from '../../src/k8s/client.js';
import { readIdentity, readSecretData } from '../../src/k8s/identities.js';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually, type AppProcess } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';
import { testEnvironment } from './support.js';

/**
 * `peers scale` with its worker killed between the CA issuing a new peer's certificate and the
 * identity Secret being written: another worker finishes the scale, the new peer has one stored
 * identity, and what the CA issued to the killed attempt is revoked, not left valid. The network
 * is this file's own namespace and StatefulSet (pods kill-peer-N), beside the shared one, with
 * org1's real CA; its peers are kwok pods (no Fabric peer is started or joined for them).
 */
const env = testEnvironment();
const NAMESPACE = `fco-scale-kill-${Date.now().toString(36)}`;
const STS = 'kill-peer';
const CA_LOG = path.join(env.dir, 'logs', 'fabric-ca-org1.log');
const kube = connectKube(env.kubeconfig);
const work = mkdtempSync(path.join(os.tmpdir(), 'fco-scale-kill-'));
const configFile = path.join(work, 'bot.yaml');

let stack: Stack;

beforeAll(async () => {
  await kube.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  // The org's CA registrar and TLS root, as an operator would give this namespace its own copies.
  for (const name of ['org1-ca-registrar', 'org1-ca-tls']) {
    const data = await readSecretData(kube, env.namespace, name);
    if (data === undefined) throw new Error(`no Secret ${name} in ${env.namespace}`);
    await kube.core.createNamespacedSecret({ namespace: NAMESPACE, body: { metadata: { name }, stringData: data } });
  }
  const labels = { app: STS };
  await kube.apps.createNamespacedStatefulSet({
    namespace: NAMESPACE,
    body: {
      metadata: { name: STS },
      spec: {
        replicas: 1,
        serviceName: STS,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'peer', image: 'hyperledger/fabric-peer:2.5' }] } },
      },
    },
  });
  const ca = env.cas.find((c) => c.org === 'org1');
  if (ca === undefined) throw new Error('no org1 CA in the environment');
  writeFileSync(
    configFile,
    stringify({
      networks: [
        {
          name: 'scalekill',
          namespace: NAMESPACE,
          channels: ['C0OPS'],
          orgs: [
            {
              name: 'org1',
              mspId: 'Org1MSP',
              ca: { url: ca.url, caName: ca.caName, registrarSecret: 'org1-ca-registrar', tlsSecret: 'org1-ca-tls' },
              peers: { statefulSet: STS, service: STS },
            },
          ],
        },
      ],
      members: [
        { user: 'U0ALICE', network: 'scalekill', org: 'org1', role: 'operator' },
        { user: 'U0ADMIN1', network: 'scalekill', org: 'org1', role: 'admin' },
      ],
      jobs: { concurrency: 2, attempts: 3, backoffMs: 500 },
    }),
  );
  stack = await startStack({
    secret: 'scale-kill-signing-secret',
    token: 'xoxb-scale-kill-token',
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0ADMIN1', name: 'ada' },
    ],
    config: configFile,
    env: { WORKER_LOCK_MS: '5000', KUBECONFIG: env.kubeconfig },
    bot: 'bot',
    workers: 1,
  });
});

afterAll(async () => {
  await stack?.stop();
  await kube.core.deleteNamespace({ name: NAMESPACE }).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

const reads = (m: StoredMessage | undefined): string => JSON.stringify(m?.blocks ?? []);
const enrollsSeen = (): number => (readFileSync(CA_LOG, 'utf8').match(/POST \/(?:api\/v1\/)?enroll 201/g) ?? []).length;
const replicas = async (): Promise<number> =>
  (await kube.apps.readNamespacedStatefulSet({ name: STS, namespace: NAMESPACE })).spec?.replicas ?? 0;

async function org1Ca() {
  const { config } = await loadConfig(configFile);
  const platform = createPlatform(config, env.kubeconfig);
  const network = networkNamed(config, 'scalekill');
  return caAccess(platform.kube(), network, orgNamed(network, 'org1'));
}

/**
 * Scales up by one, approved, and freezes the worker holding the job the moment the CA logs an
 * issued certificate, then kills it and starts another. The CA's log names no identity and other
 * suites enroll at the same CA, so whether the kill landed in the window is read back.
 */
async function scaleAndKillMidway(to: number): Promise<{ jobId: string; cardTs: string; pod: string; killedInWindow: boolean }> {
  const pod = `${STS}-${to - 1}`;
  await stack.command(`peers scale org1 ${to}`);
  const card = await eventually('the approval card', () =>
    stack.slack.messages('C0OPS').find((m) => reads(m).includes('Approval needed') && reads(m).includes(`peers scale org1 ${to}`)),
  );
  const jobId = /Request `([a-z0-9]+)`/.exec(reads(card))?.[1] as string;
  const worker = stack.workers.at(-1) as AppProcess;
  const before = enrollsSeen();
  await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: jobId });
  const deadline = Date.now() + 30_000;
  while (enrollsSeen() === before) {
    if (Date.now() > deadline) throw new Error(`the CA issued nothing while scaling to ${to}:\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  worker.child.kill('SIGSTOP');
  const { ca, registrar } = await org1Ca();
  const killedBeforeSave = (await readIdentity(kube, NAMESPACE, `org1-id-${pod}`)) === undefined;
  const issuedBeforeKill = killedBeforeSave && (await ca.certificates(registrar, pod)).length > 0;
  await stack.replaceWorker(worker);
  return { jobId, cardTs: card.ts, pod, killedInWindow: issuedBeforeKill };
}

/** The job's own status messages (the approval card names the job too, once approved). */
const statusMessages = (jobId: string, cardTs: string): StoredMessage[] =>
  stack.slack.messages('C0OPS').filter((m) => !m.ephemeral && m.ts !== cardTs && reads(m).includes(`Job \`${jobId}\``));
const finished = (jobId: string, cardTs: string): Promise<string> =>
  eventually(
    `job ${jobId} to finish`,
    () => {
      const text = reads(statusMessages(jobId, cardTs)[0]);
      return /succeeded\*|failed\*/.test(text) ? text : undefined;
    },
    120_000,
  );

it('finishes the scale after the kill, with one stored identity for the new peer, ' +
  'and revokes what the killed attempt was issued', async () => {
  let landed: { jobId: string; cardTs: string; pod: string } | undefined;
  // Each try scales up by one more peer, so a try whose kill missed the window leaves nothing to undo.
  for (let to = 2; to < 8 && landed === undefined; to++) {
    const attempt = await scaleAndKillMidway(to);
    if (attempt.killedInWindow) landed = attempt;
    else expect(await finished(attempt.jobId, attempt.cardTs)).toContain('succeeded');
  }
  if (landed === undefined) throw new Error('the kill never landed between the CA issuing a certificate and the Secret being written');
  const done = await finished(landed.jobId, landed.cardTs);
  expect(done).toContain('succeeded');
  expect(done).toContain('attempt 2');
  expect(done).toMatch(new RegExp(`${landed.pod}: enrolled; revoked [0-9a-f]+.*issued to an interrupted attempt and never stored`));
  expect(await replicas()).toBe(Number(landed.pod.split('-').at(-1)) + 1);

  const stored = await readIdentity(kube, NAMESPACE, `org1-id-${landed.pod}`);
  const storedSerials = [stored?.certPem, stored?.tlsCertPem]
    .map((pem) => new X509Certificate(pem ?? '').serialNumber.toLowerCase())
    .sort();
  const { ca, registrar } = await org1Ca();
  // What the CA still holds valid for the new peer is exactly what its Secret holds.
  expect((await ca.certificates(registrar, landed.pod)).map((c) => c.serial).sort()).toEqual(storedSerials);
  expect(statusMessages(landed.jobId, landed.cardTs)).toHaveLength(1);
}, 600_000);
