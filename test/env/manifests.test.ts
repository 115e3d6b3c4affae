import { describe, expect, it, beforeAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, Metrics } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { applyChaincodeWorkload, chaincodeObjectName } from '../../src/k8s/chaincode.js';
import { apiStatus, connectKube, type Kube } from '../../src/k8s/client.js';
import { readIdentity, readServerTls, saveIdentity, saveServerTls } from '../../src/k8s/identities.js';
import { LABELS, PART_OF_FABRIC } from '../../src/k8s/labels.js';
import { currentReplicas, setReplicas, waitForReplicas } from '../../src/k8s/peers.js';
import { fabricPods } from '../../src/k8s/status.js';
import { binary } from '../infra/env/binaries.js';
import { testEnvironment } from './support.js';

const env = testEnvironment();
const admin = connectKube(env.kubeconfig);
const kubectl = (args: string[], input?: string): Promise<{ stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = execFile(
      binary('kubectl'),
      [`--kubeconfig=${env.kubeconfig}`, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        err === null ? resolve({ stdout, stderr }) : reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)),
    );
    if (input !== undefined) child.stdin?.end(input);
  });

const KUSTOMIZATIONS = ['base', 'overlays/demo', 'overlays/external-redis', 'fabric-org'];
const MANAGED = 'fabric-demo';

async function ensureNamespace(name: string): Promise<void> {
  try {
    await admin.core.createNamespace({ body: { metadata: { name } } });
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
  }
}

/** A client that authenticates as one of the manifests' ServiceAccounts with a TokenRequest token. */
async function asServiceAccount(name: 'fabric-chatops-bot' | 'fabric-chatops-worker'): Promise<Kube> {
  const tr = await admin.core.createNamespacedServiceAccountToken({
    name,
    namespace: 'fabric-chatops',
    body: { spec: { expirationSeconds: 600 } },
  });
  const cluster = admin.config.getCurrentCluster();
  if (cluster === null) throw new Error('no cluster in kubeconfig');
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'bot', token: tr.status?.token }],
    contexts: [{ name: 'bot', cluster: cluster.name, user: 'bot' }],
    currentContext: 'bot',
  });
  return { config, core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api), metrics: new Metrics(config) };
}

describe('manifests/', () => {
  it.each(KUSTOMIZATIONS)('%s passes a server-side dry run', async (dir) => {
    const { stdout: rendered } = await kubectl(['kustomize', path.resolve('manifests', dir)]);
    const docs = parseAllDocuments(rendered).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    expect(docs.length).toBeGreaterThan(0);
    // A dry run cannot place objects in a namespace that does not exist yet, so those are made first.
    for (const n of new Set(docs.flatMap((d) => [d.metadata.namespace, d.kind === 'Namespace' ? d.metadata.name : undefined])))
      if (n !== undefined) await ensureNamespace(n);
    const { stdout } = await kubectl(['apply', '--dry-run=server', '-f', '-'], rendered);
    expect(stdout.trim().split('\n')).toHaveLength(docs.length);
    expect(stdout).toContain('(server dry run)');
  });
});

describe('the workers’ and the bot’s ServiceAccounts, with the RBAC from manifests/overlays/demo', () => {
  let bot: Kube;
  let worker: Kube;

  beforeAll(async () => {
    await ensureNamespace('fabric-chatops');
    await ensureNamespace(MANAGED);
    const { stdout: rendered } = await kubectl(['kustomize', path.resolve('manifests/overlays/demo')]);
    await kubectl(['apply', '--server-side', '--field-manager=test', '-f', '-'], rendered);
    const labels = { [LABELS.partOf]: PART_OF_FABRIC, [LABELS.component]: 'peer', [LABELS.org]: 'org1' };
    await admin.apps.createNamespacedStatefulSet({
      namespace: MANAGED,
      body: {
        metadata: { name: 'org1-peer', labels },
        spec: {
          replicas: 1,
          serviceName: 'org1-peer',
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'peer', image: 'hyperledger/fabric-peer:2.5' }] } },
        },
      },
    });
    bot = await asServiceAccount('fabric-chatops-bot');
    worker = await asServiceAccount('fabric-chatops-worker');
  });

  const status = (p: Promise<unknown>): Promise<number | undefined> =>
    p.then(
      () => 200,
      (e: unknown) => apiStatus(e),
    );

  it('lets the workers do every operation their jobs perform in a managed namespace', async () => {
    expect(await currentReplicas(worker, MANAGED, 'org1-peer')).toBe(1);
    await setReplicas(worker, MANAGED, 'org1-peer', 2);
    await waitForReplicas(worker, MANAGED, 'org1-peer', 2, { timeoutMs: 60_000 });
    expect((await fabricPods(worker, MANAGED, { withMetrics: true })).length).toBeGreaterThanOrEqual(2);
    const cc = {
      network: 'demo',
      org: 'org1',
      name: 'basic',
      image: 'example/basic:1',
      packageId: 'basic_1:ab',
      tlsSecret: 'org1-tls-cc-basic-org1',
    };
    await applyChaincodeWorkload(worker, MANAGED, cc);
    await applyChaincodeWorkload(worker, MANAGED, cc);
    const secret = await saveIdentity(
      worker,
      MANAGED,
      { network: 'demo', org: 'org1', name: 'peer1' },
      { mspId: 'Org1MSP', certPem: 'cert', keyPem: 'key' },
    );
    expect((await readIdentity(worker, MANAGED, secret))?.certPem).toBe('cert');
    const tls = { certPem: 'tls cert', keyPem: 'tls key', caPem: 'ca' };
    const tlsSecret = await saveServerTls(worker, MANAGED, { network: 'demo', org: 'org1', name: 'cc-basic-org1' }, tls);
    expect(tlsSecret).toBe(cc.tlsSecret);
    expect(await readServerTls(worker, MANAGED, tlsSecret)).toEqual(tls);
    await admin.core.createNamespacedConfigMap({
      namespace: MANAGED,
      body: { metadata: { name: 'cc-collections' }, data: { 'collections.json': '[]' } },
    });
    expect(await status(worker.core.readNamespacedConfigMap({ name: 'cc-collections', namespace: MANAGED }))).toBe(200);
    const pod = (await worker.core.listNamespacedPod({ namespace: MANAGED, labelSelector: `${LABELS.component}=peer` })).items[0]?.metadata
      ?.name as string;
    expect(await status(worker.core.readNamespacedPodLog({ name: pod, namespace: MANAGED }))).not.toBe(403);
    await worker.core.deleteNamespacedPod({ name: pod, namespace: MANAGED });
    await admin.apps.deleteNamespacedDeployment({ name: chaincodeObjectName(cc), namespace: MANAGED });
    await admin.core.deleteNamespacedService({ name: chaincodeObjectName(cc), namespace: MANAGED });
  });

  it(
    'gives the workers only the verbs they use: ' + 'no Secret deletes, no ConfigMap writes, no other namespace, nothing cluster-wide',
    async () => {
      expect(await status(worker.core.deleteNamespacedSecret({ name: 'org1-id-peer1', namespace: MANAGED }))).toBe(403);
      expect(await status(worker.core.createNamespacedConfigMap({ namespace: MANAGED, body: { metadata: { name: 'x' } } }))).toBe(403);
      expect(await status(worker.core.listNamespacedSecret({ namespace: env.namespace }))).toBe(403);
      expect(await status(worker.core.readNamespacedSecret({ name: 'org1-ca-registrar', namespace: env.namespace }))).toBe(403);
      expect(await status(worker.core.createNamespace({ body: { metadata: { name: 'not-allowed' } } }))).toBe(403);
      expect(await status(worker.core.patchNode({ name: 'kwok-node-0', body: { metadata: { labels: { x: 'y' } } } }))).toBe(403);
      expect(await status(worker.apps.deleteNamespacedStatefulSet({ name: 'org1-peer', namespace: MANAGED }))).toBe(403);
    },
  );

  it('gives the bot nothing: no Secret, no pod, no scale, in the managed namespace or anywhere, and no token in its pods', async () => {
    expect(await status(bot.core.readNamespacedSecret({ name: 'org1-id-peer1', namespace: MANAGED }))).toBe(403);
    expect(await status(bot.core.listNamespacedSecret({ namespace: MANAGED }))).toBe(403);
    expect(await status(bot.core.listNamespacedPod({ namespace: MANAGED }))).toBe(403);
    expect(await status(bot.apps.readNamespacedStatefulSetScale({ name: 'org1-peer', namespace: MANAGED }))).toBe(403);
    expect(await status(bot.core.listNamespacedSecret({ namespace: 'fabric-chatops' }))).toBe(403);
    const { stdout: rendered } = await kubectl(['kustomize', path.resolve('manifests/overlays/demo')]);
    const docs = parseAllDocuments(rendered).map(
      (d) =>
        d.toJS() as {
          kind: string;
          metadata: { name: string };
          spec?: { template?: { spec?: { serviceAccountName?: string; automountServiceAccountToken?: boolean } } };
        },
    );
    const botPod = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'fabric-chatops-bot')?.spec?.template?.spec;
    expect(botPod).toMatchObject({ serviceAccountName: 'fabric-chatops-bot', automountServiceAccountToken: false });
    const bindings = docs.filter((d) => d.kind === 'RoleBinding') as unknown as { subjects: { name: string }[] }[];
    expect(bindings.flatMap((b) => b.subjects.map((x) => x.name))).not.toContain('fabric-chatops-bot');
  });
});

describe('Pod Security "restricted" in the bot\'s namespace, as manifests/base labels it', () => {
  type PodSpec = { containers: { name: string; securityContext?: Record<string, unknown> }[]; securityContext?: Record<string, unknown> };
  type Workload = { kind: string; metadata: { name: string }; spec: { template: { spec: PodSpec } } };
  let workloads: Workload[];

  beforeAll(async () => {
    const { stdout: rendered } = await kubectl(['kustomize', path.resolve('manifests/base')]);
    const docs = parseAllDocuments(rendered).map((d) => d.toJS() as Workload & { metadata: { labels?: Record<string, string> } });
    // The namespace as shipped, label included (the API server enforces by it).
    await kubectl(['apply', '--server-side', '--field-manager=test', '-f', '-'], JSON.stringify(docs.find((d) => d.kind === 'Namespace')));
    workloads = docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');
    // A StatefulSet's controller adds a volume per claim template to its pods; so does this test.
    for (const w of workloads) {
      const claims = (w.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? [];
      const spec = w.spec.template.spec as PodSpec & { volumes?: object[] };
      spec.volumes = [...(spec.volumes ?? []), ...claims.map((c) => ({ name: c.metadata.name, emptyDir: {} }))];
    }
  });

  /** Creates the workload's pod in a dry run: the API server admits or rejects it as it would the controller's. */
  const admit = (name: string, spec: PodSpec): Promise<number | undefined> =>
    admin.core.createNamespacedPod({ namespace: 'fabric-chatops', dryRun: 'All', body: { metadata: { name }, spec } }).then(
      () => 200,
      (e: unknown) => apiStatus(e),
    );

  it('admits the pods of the bot, the workers and Redis', async () => {
    expect(workloads.map((w) => w.metadata.name).sort()).toEqual(['fabric-chatops-bot', 'fabric-chatops-worker', 'redis']);
    for (const w of workloads)
      expect([w.metadata.name, await admit(`${w.metadata.name}-probe`, w.spec.template.spec)]).toEqual([w.metadata.name, 200]);
  });

  it.each([
    ['capabilities not dropped', (s: PodSpec) => delete s.containers[0]?.securityContext?.capabilities],
    ['privilege escalation allowed', (s: PodSpec) => delete s.containers[0]?.securityContext?.allowPrivilegeEscalation],
    ['no seccomp profile', (s: PodSpec) => delete s.securityContext?.seccompProfile],
    ['root allowed', (s: PodSpec) => delete s.securityContext?.runAsNonRoot],
  ])('rejects each of them with %s', async (_what, loosen) => {
    for (const w of workloads) {
      const spec = structuredClone(w.spec.template.spec);
      loosen(spec);
      expect([w.metadata.name, await admit(`${w.metadata.name}-loose`, spec)]).toEqual([w.metadata.name, 403]);
    }
  });
});
