import { describe, expect, it } from '@jest/globals';
import { renderStatus } from '../../src/bot/render/status.js';
import { applyChaincodeWorkload, chaincodeObjectName, chaincodeObjects } from '../../src/k8s/chaincode.js';
import { apiStatus, connectKube, type Kube } from '../../src/k8s/client.js';
import { identitySecretName, listIdentityCertificates, readIdentity, saveIdentity } from '../../src/k8s/identities.js';
import { LABELS, PART_OF_FABRIC } from '../../src/k8s/labels.js';
import {
  currentReplicas,
  firstOrdinal,
  podNamesForOrdinals,
  ScaleError,
  setReplicas,
  waitForReplicas,
  type ScaleProgress,
} from '../../src/k8s/peers.js';
import { fabricPods } from '../../src/k8s/status.js';
import { validateBlocks } from '../slack/block-kit.js';
import { eventually } from '../support/app-process.js';
import { testEnvironment } from './support.js';

const env = testEnvironment();
const kube = connectKube(env.kubeconfig);
const ns = env.namespace;

/** The same client, counting every API call it makes, by method name. */
function counting(k: Kube): { kube: Kube; calls: string[] } {
  const calls: string[] = [];
  const wrap = <T extends object>(api: T): T =>
    new Proxy(api, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { kube: { ...k, core: wrap(k.core), apps: wrap(k.apps), metrics: wrap(k.metrics) }, calls };
}

describe('peers scale on the real API server', () => {
  it('scales 1 → 3 → 2, observing readyReplicas at each step, and names the pod removed', async () => {
    // The steps `peers scale` takes: read the size, set it through the scale subresource, wait for readiness.
    const seen: ScaleProgress[] = [];
    expect(await currentReplicas(kube, ns, 'org2-peer')).toBe(1);
    expect(podNamesForOrdinals('org2-peer', 1, 3)).toEqual(['org2-peer-1', 'org2-peer-2']);
    await setReplicas(kube, ns, 'org2-peer', 3);
    await waitForReplicas(kube, ns, 'org2-peer', 3, { timeoutMs: 60_000, onProgress: (p) => void seen.push(p) });
    expect((await kube.apps.readNamespacedStatefulSet({ name: 'org2-peer', namespace: ns })).status?.readyReplicas).toBe(3);
    expect(seen.at(-1)).toEqual({ desired: 3, ready: 3, current: 3 });

    expect(await currentReplicas(kube, ns, 'org2-peer')).toBe(3);
    expect(podNamesForOrdinals('org2-peer', 2, 3)).toEqual(['org2-peer-2']);
    await setReplicas(kube, ns, 'org2-peer', 2);
    await waitForReplicas(kube, ns, 'org2-peer', 2, { timeoutMs: 60_000 });
    expect((await kube.apps.readNamespacedStatefulSet({ name: 'org2-peer', namespace: ns })).status?.readyReplicas).toBe(2);
    const names = (await fabricPods(kube, ns, { org: 'org2' })).filter((p) => p.component === 'peer').map((p) => p.name);
    await eventually('the removed pod to go', async () => {
      const now = (await fabricPods(kube, ns, { org: 'org2' })).filter((p) => p.component === 'peer').map((p) => p.name);
      return now.length === 2 && !now.includes('org2-peer-2') ? now : undefined;
    });
    expect(names).toEqual(expect.arrayContaining(['org2-peer-0', 'org2-peer-1']));
  });

  it('names the pods it adds as the StatefulSet controller does when spec.ordinals.start is set', async () => {
    // A namespace of its own: other suites count the pods of the test network's.
    const other = 'ordinals-test';
    await kube.core.createNamespace({ body: { metadata: { name: other } } });
    const labels = { [LABELS.partOf]: PART_OF_FABRIC, [LABELS.component]: 'peer', [LABELS.org]: 'org9' };
    await kube.apps.createNamespacedStatefulSet({
      namespace: other,
      body: {
        metadata: { name: 'org9-peer', labels },
        spec: {
          replicas: 1,
          ordinals: { start: 3 },
          serviceName: 'org9-peer',
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'peer', image: 'hyperledger/fabric-peer:2.5' }] } },
        },
      },
    });
    try {
      const start = await firstOrdinal(kube, other, 'org9-peer');
      expect(start).toBe(3);
      const added = podNamesForOrdinals('org9-peer', 1, 3, start);
      expect(added).toEqual(['org9-peer-4', 'org9-peer-5']);
      await setReplicas(kube, other, 'org9-peer', 3);
      await waitForReplicas(kube, other, 'org9-peer', 3, { timeoutMs: 60_000 });
      const pods = (await fabricPods(kube, other, { org: 'org9' })).map((p) => p.name).sort();
      expect(pods).toEqual(['org9-peer-3', ...added]);
      expect(await firstOrdinal(kube, ns, 'org2-peer')).toBe(0);
    } finally {
      await kube.core.deleteNamespace({ name: other });
    }
  });

  it('refuses 0 and changes nothing', async () => {
    await expect(setReplicas(kube, ns, 'org2-peer', 0)).rejects.toThrow(ScaleError);
    expect((await kube.apps.readNamespacedStatefulSetScale({ name: 'org2-peer', namespace: ns })).spec?.replicas).toBe(2);
  });
});

describe('status and metrics for a large namespace', () => {
  const big = 'fabric-load';

  it('reads 200 pods and their metrics in at most 3 list calls, rendered within Block Kit limits', async () => {
    await kube.core.createNamespace({ body: { metadata: { name: big } } });
    const labels = { [LABELS.partOf]: PART_OF_FABRIC, [LABELS.component]: 'peer', [LABELS.org]: 'org9' };
    await kube.apps.createNamespacedDeployment({
      namespace: big,
      body: {
        metadata: { name: 'many-peers', labels },
        spec: {
          replicas: 200,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels, annotations: { 'kwok.x-k8s.io/usage-cpu': '120m', 'kwok.x-k8s.io/usage-memory': '300Mi' } },
            spec: { containers: [{ name: 'peer', image: 'hyperledger/fabric-peer:2.5' }] },
          },
        },
      },
    });
    await eventually(
      '200 ready pods',
      async () => (await kube.apps.readNamespacedDeployment({ name: 'many-peers', namespace: big })).status?.readyReplicas === 200,
      120_000,
    );

    const counted = counting(kube);
    const pods = await eventually(
      'metrics for most of the 200 pods',
      async () => {
        counted.calls.length = 0;
        const list = await fabricPods(counted.kube, big, { withMetrics: true });
        return list.filter((p) => p.usage !== undefined).length >= 190 ? list : undefined;
      },
      90_000,
    );
    expect(pods).toHaveLength(200);
    expect(counted.calls.length).toBeLessThanOrEqual(3);
    const sample = pods.find((p) => p.usage !== undefined);
    expect(sample?.usage?.[0]?.memoryBytes).toBe(300 * 1024 ** 2);

    for (const page of [1, 2, 4]) {
      const rendered = renderStatus({ network: 'load', namespace: big, pods }, { withMetrics: true, page, command: '/fabric metrics' });
      expect(validateBlocks(rendered.blocks)).toEqual([]);
      expect(JSON.stringify(rendered.blocks)).toContain('200 Fabric pods');
    }
    await kube.core.deleteNamespace({ name: big });
  }, 240_000);
});

describe('chaincode workloads and identity Secrets', () => {
  const workload = {
    network: env.network,
    org: 'org1',
    name: 'basic',
    image: 'example/basic-ccaas:1.0',
    packageId: 'basic_1.0:0123abcd',
    tlsSecret: 'org1-tls-cc-basic-org1',
  };

  it('applies a chaincode Deployment and Service with server-side apply; the second apply changes nothing', async () => {
    const first = await applyChaincodeWorkload(kube, ns, workload);
    const name = chaincodeObjectName(workload);
    const rv = async (): Promise<[string | undefined, string | undefined]> => [
      (await kube.apps.readNamespacedDeployment({ name, namespace: ns })).metadata?.resourceVersion,
      (await kube.core.readNamespacedService({ name, namespace: ns })).metadata?.resourceVersion,
    ];
    await eventually(
      'the chaincode Deployment to be ready',
      async () => {
        const d = await kube.apps.readNamespacedDeployment({ name, namespace: ns });
        return (d.status?.readyReplicas ?? 0) >= 1 && (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
      },
      60_000,
    );
    const before = await rv();
    await applyChaincodeWorkload(kube, ns, workload);
    expect(await rv()).toEqual(before);
    const env0 = (await kube.apps.readNamespacedDeployment({ name, namespace: ns })).spec?.template.spec?.containers[0]?.env;
    expect(env0).toEqual(
      expect.arrayContaining([
        { name: 'CHAINCODE_ID', value: workload.packageId },
        { name: 'CHAINCODE_SERVER_ADDRESS', value: '0.0.0.0:9999' },
        { name: 'CHAINCODE_TLS_DISABLED', value: 'false' },
        { name: 'CHAINCODE_TLS_KEY', value: '/etc/hyperledger/chaincode/tls/tls.key' },
      ]),
    );
    const volumes = (await kube.apps.readNamespacedDeployment({ name, namespace: ns })).spec?.template.spec?.volumes;
    expect(volumes).toEqual([{ name: 'tls', secret: { secretName: workload.tlsSecret, defaultMode: 0o440 } }]);
    expect(first.address).toBe(`${name}.${ns}.svc:9999`);

    await kube.apps.deleteNamespacedDeployment({ name, namespace: ns });
    await kube.core.deleteNamespacedService({ name, namespace: ns });
    const gone = await kube.apps.readNamespacedDeployment({ name, namespace: ns }).then(
      () => 200,
      (e: unknown) => apiStatus(e),
    );
    expect(gone).toBe(404);
  });

  it('makes chaincode pods that Pod Security "restricted" admits, with no service account token', async () => {
    const restricted = 'fabric-restricted';
    await kube.core.createNamespace({
      body: { metadata: { name: restricted, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    });
    try {
      const { deployment } = chaincodeObjects(workload, restricted);
      const template = deployment.spec?.template;
      // The API server's own admission decides, as it would for the pods the Deployment makes.
      const admitted = await kube.core
        .createNamespacedPod({ namespace: restricted, dryRun: 'All', body: { metadata: { name: 'cc-probe' }, spec: template?.spec } })
        .then(
          () => 'admitted',
          (e: unknown) => String((e as { body?: unknown }).body ?? e),
        );
      expect(admitted).toBe('admitted');
      expect(template?.spec?.automountServiceAccountToken).toBe(false);
    } finally {
      await kube.core.deleteNamespace({ name: restricted });
    }
  });

  it('stores an enrolled identity as a labelled Secret, reads it back, and lists certificates without keys', async () => {
    const ref = { network: env.network, org: 'org1', name: 'Admin@org1' };
    const id = {
      mspId: 'Org1MSP',
      certPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      keyPem: '-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n',
    };
    const name = await saveIdentity(kube, ns, ref, id);
    expect(name).toBe(identitySecretName(ref));
    const rv = (await kube.core.readNamespacedSecret({ name, namespace: ns })).metadata?.resourceVersion;
    await saveIdentity(kube, ns, ref, id);
    expect((await kube.core.readNamespacedSecret({ name, namespace: ns })).metadata?.resourceVersion).toBe(rv);
    expect(await readIdentity(kube, ns, name)).toMatchObject(id);
    const listed = await listIdentityCertificates(kube, ns, env.network);
    expect(listed).toContainEqual({ secret: name, org: 'org1', name: 'Admin@org1', certPem: id.certPem });
    expect(JSON.stringify(listed)).not.toContain('PRIVATE KEY');
  });
});
