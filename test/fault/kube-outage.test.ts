import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { connectKube, type Kube } from '../../src/k8s/client.js';
import { startKubernetes, type KubeEnv } from '../infra/env/kube.js';
import type { ManagedProcess } from '../infra/env/proc.js';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * The Kubernetes API server frozen (SIGSTOP: connections accepted, nothing answered), then
 * stopped for 20 seconds, while `peers scale` jobs run: each job's step waits (and says so in the
 * channel), then finishes once the server is back. The control plane is this file's own, so
 * stopping it disturbs no other suite.
 */
const NAMESPACE = 'fabric-outage';
const OUTAGE_MS = 20_000;
const API_TIMEOUT_MS = 3000;
const FREEZE_MS = 12_000;

let dir: string;
let kubeEnv: KubeEnv;
let apiserver: ManagedProcess;
let kube: Kube;
let stack: Stack;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fco-outage-'));
  // kwok cannot renew its nodes' leases while the API server is away; with the default grace
  // period (40 s) the node controller then marks the nodes NotReady and the pods with them,
  // and the scale waits on that instead of on the outage under test.
  kubeEnv = await startKubernetes({ dir, logDir: dir, nodes: 1, controllerManagerArgs: ['--node-monitor-grace-period=5m'] });
  apiserver = kubeEnv.processes.find((p) => p.name === 'kube-apiserver') as ManagedProcess;
  kube = connectKube(kubeEnv.kubeconfigPath);
  await kube.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const labels = { app: 'org1-peer' };
  await kube.apps.createNamespacedStatefulSet({
    namespace: NAMESPACE,
    body: {
      metadata: { name: 'org1-peer', namespace: NAMESPACE },
      spec: {
        replicas: 3,
        serviceName: 'org1-peer',
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'peer', image: 'hyperledger/fabric-peer:2.5' }] } },
      },
    },
  });
  await eventually(
    '3 peers Ready',
    async () => (await kube.apps.readNamespacedStatefulSet({ name: 'org1-peer', namespace: NAMESPACE })).status?.readyReplicas === 3,
    60_000,
  );

  // Scaling down enrolls nobody, so the CA named here is never called.
  const config = path.join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      networks: [
        {
          name: 'outage',
          namespace: NAMESPACE,
          channels: ['C0OPS'],
          orgs: [
            {
              name: 'org1',
              mspId: 'Org1MSP',
              ca: {
                url: 'https://org1-ca.invalid:7054',
                caName: 'ca-org1',
                registrarSecret: 'org1-ca-registrar',
                tlsSecret: 'org1-ca-tls',
              },
              peers: { statefulSet: 'org1-peer', service: 'org1-peer' },
            },
          ],
        },
      ],
      members: [
        { user: 'U0ALICE', network: 'outage', org: 'org1', role: 'operator' },
        { user: 'U0ADMIN1', network: 'outage', org: 'org1', role: 'admin' },
      ],
      jobs: { concurrency: 2, attempts: 3, backoffMs: 500 },
    }),
  );
  stack = await startStack({
    secret: 'kube-outage-signing-secret',
    token: 'xoxb-kube-outage-token',
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0ADMIN1', name: 'ada' },
    ],
    config,
    env: { KUBECONFIG: kubeEnv.kubeconfigPath, KUBE_API_TIMEOUT_MS: String(API_TIMEOUT_MS) },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  for (const p of [...(kubeEnv?.processes ?? [])].reverse()) await p.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 120_000);

const reads = (m: StoredMessage | undefined): string => (m === undefined ? '' : JSON.stringify(m.blocks ?? []));

/** Asks for the scale and returns its approval card and request id (the job id once approved). */
async function requestScale(replicas: number): Promise<{ card: StoredMessage; id: string }> {
  await stack.command(`peers scale org1 ${replicas}`);
  const card = await eventually('the approval card', () =>
    stack.slack.messages('C0OPS').find((m) => reads(m).includes('Approval needed') && reads(m).includes(`peers scale org1 ${replicas}`)),
  );
  return { card, id: /Request `([a-z0-9]+)`/.exec(reads(card))?.[1] as string };
}

it('waits out an API server that accepts connections and never answers, says so, and completes', async () => {
  const { card, id } = await requestScale(2);
  const pid = apiserver.pid as number;
  process.kill(pid, 'SIGSTOP');
  const frozenAt = Date.now();
  try {
    await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: id });
    const status = (): string =>
      reads(stack.slack.messages('C0OPS').find((m) => !m.ephemeral && m.ts !== card.ts && reads(m).includes(`Job \`${id}\``)));
    const waiting = await eventually(
      'the status to say the API server does not answer',
      () =>
        status().includes(`waiting for the Kubernetes API server (no answer within ${API_TIMEOUT_MS / 1000} s)`) ? status() : undefined,
      30_000,
    );
    expect(waiting).not.toMatch(/succeeded|failed/);
    await new Promise((r) => setTimeout(r, frozenAt + FREEZE_MS - Date.now()));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const done = await eventually(
    'the job to finish',
    () => {
      const text = reads(stack.slack.messages('C0OPS').find((m) => !m.ephemeral && m.ts !== card.ts && reads(m).includes(`Job \`${id}\``)));
      return /succeeded|failed/.test(text) ? text : undefined;
    },
    120_000,
  );
  expect(done).toContain('succeeded');
  expect(done).toContain('3 → 2');
  expect(Number(/waited (\d+) s for the Kubernetes API server/.exec(done)?.[1])).toBeGreaterThanOrEqual(FREEZE_MS / 1000 - 2);
  expect((await kube.apps.readNamespacedStatefulSet({ name: 'org1-peer', namespace: NAMESPACE })).spec?.replicas).toBe(2);
}, 180_000);

it('waits out 20 s without the API server during a scale, says so, and completes', async () => {
  const { card, id } = await requestScale(1);

  await apiserver.stop();
  const stoppedAt = Date.now();
  await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: id });
  // The job's own status message (the approval card names the job too, once approved).
  const statusMessages = (): StoredMessage[] =>
    stack.slack.messages('C0OPS').filter((m) => !m.ephemeral && m.ts !== card.ts && reads(m).includes(`Job \`${id}\``));
  const status = (): StoredMessage | undefined => statusMessages()[0];
  const waiting = await eventually(
    'the status to say it waits for the API server',
    () => (/waiting for the Kubernetes API server \(connect ECONNREFUSED/.test(reads(status())) ? reads(status()) : undefined),
    OUTAGE_MS,
  );
  expect(waiting).not.toMatch(/succeeded|failed/);
  await new Promise((r) => setTimeout(r, stoppedAt + OUTAGE_MS - Date.now()));
  expect(reads(status())).not.toMatch(/succeeded|failed/);
  apiserver.start();

  const done = await eventually(
    'the job to finish',
    () => (/succeeded|failed/.test(reads(status())) ? reads(status()) : undefined),
    120_000,
  );
  expect(done).toContain('succeeded');
  expect(done).toContain('2 → 1');
  const waited = Number(/waited (\d+) s for the Kubernetes API server/.exec(done)?.[1]);
  expect(waited).toBeGreaterThanOrEqual(OUTAGE_MS / 1000 - 2);
  const sts = await kube.apps.readNamespacedStatefulSet({ name: 'org1-peer', namespace: NAMESPACE });
  expect(sts.spec?.replicas).toBe(1);
  expect(statusMessages()).toHaveLength(1);
  expect((await fetch(`${stack.bot.url}/healthz`)).ok).toBe(true);
}, 240_000);

it('waits out the API server for work a job does before its first step (reading the CA registrar), then goes on', async () => {
  await apiserver.stop();
  const stoppedAt = Date.now();
  let id = '';
  try {
    const reply = await stack.command('cert renew org1 user1');
    id = /`([a-z0-9]{12})`/.exec((await reply.answer()).text ?? '')?.[1] ?? '';
    expect(id).not.toBe('');
    const waiting = await eventually(
      'the status to say the job waits for the API server',
      () => {
        const text = stack.lastText(stack.statusOf(id));
        return text.includes("Read org1's CA registrar") && /waiting for the Kubernetes API server \(connect ECONNREFUSED/.test(text)
          ? text
          : undefined;
      },
      15_000,
    );
    expect(waiting).not.toMatch(/succeeded|failed/);
    await new Promise((r) => setTimeout(r, stoppedAt + 8000 - Date.now()));
    expect(stack.lastText(stack.statusOf(id))).not.toMatch(/succeeded|failed|Attempt 1 failed/);
  } finally {
    apiserver.start();
  }
  // Once the API server answers, the job reads it: this network has no CA Secrets, so it stops
  // there, on its first attempt, instead of spending its attempts on the outage.
  const done = await eventually(
    'the job to finish',
    () => (/failed|succeeded/.test(stack.lastText(stack.statusOf(id))) ? stack.lastText(stack.statusOf(id)) : undefined),
    90_000,
  );
  expect(done).toContain(`Secret ${NAMESPACE}/org1-ca-tls does not exist`);
  expect(done).not.toMatch(/attempt \d/i);
}, 150_000);
