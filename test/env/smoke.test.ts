import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AuthenticationV1Api, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { connectKube } from '../../src/k8s/client.js';
import { LABELS, PART_OF_FABRIC } from '../../src/k8s/labels.js';
import { currentReplicas, setReplicas, waitForReplicas } from '../../src/k8s/peers.js';
import { fabricPods } from '../../src/k8s/status.js';
import { binary } from '../infra/env/binaries.js';
import { eventually } from '../support/app-process.js';
import { testEnvironment } from './support.js';

const run = promisify(execFile);
const env = testEnvironment();
const kube = connectKube(env.kubeconfig);

/** One request with a bearer token, to see what the API server lets that identity do. */
function asToken(token: string, method: string, apiPath: string): Promise<number> {
  const ca = Buffer.from(kube.config.getCurrentCluster()?.caData ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const req = https.request(`${env.server}${apiPath}`, { method, ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the test environment', () => {
  it('scales a StatefulSet 1 → 2 and readyReplicas follows', async () => {
    // Its own StatefulSet: other suites scale the org peers at the same time.
    const labels = { [LABELS.partOf]: PART_OF_FABRIC, [LABELS.component]: 'peer', [LABELS.org]: 'smoke' };
    await kube.apps.createNamespacedStatefulSet({
      namespace: env.namespace,
      body: {
        metadata: { name: 'smoke-peer', labels },
        spec: {
          replicas: 1,
          serviceName: 'smoke-peer',
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'peer', image: 'hyperledger/fabric-peer:2.5' }] } },
        },
      },
    });
    await waitForReplicas(kube, env.namespace, 'smoke-peer', 1, { timeoutMs: 60_000 });
    expect(await currentReplicas(kube, env.namespace, 'smoke-peer')).toBe(1);
    await setReplicas(kube, env.namespace, 'smoke-peer', 2);
    await waitForReplicas(kube, env.namespace, 'smoke-peer', 2, { timeoutMs: 60_000 });
    const sts = await kube.apps.readNamespacedStatefulSet({ name: 'smoke-peer', namespace: env.namespace });
    expect(sts.status?.readyReplicas).toBe(2);
    const pods = await fabricPods(kube, env.namespace, { org: 'smoke' });
    expect(pods.filter((p) => p.component === 'peer' && p.ready).map((p) => p.name)).toEqual(['smoke-peer-0', 'smoke-peer-1']);
  });

  it('serves pod CPU and memory through metrics.k8s.io', async () => {
    const pods = await eventually(
      'metrics for the peer pods',
      async () => {
        const list = await fabricPods(kube, env.namespace, { withMetrics: true });
        const measured = list.filter((p) => p.usage !== undefined && p.usage.length > 0);
        return measured.length >= 3 ? measured : undefined;
      },
      60_000,
    );
    for (const p of pods) {
      expect(p.usage?.[0]?.memoryBytes).toBeGreaterThan(0);
      expect(p.usage?.[0]?.cpuMillicores).toBeGreaterThanOrEqual(0);
    }
  });

  it('issues service-account tokens through TokenRequest and enforces RBAC on them', async () => {
    const ns = env.namespace;
    const core = kube.config.makeApiClient(CoreV1Api);
    const rbac = kube.config.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'scaler' } } });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'scaler' },
        rules: [{ apiGroups: ['apps'], resources: ['statefulsets', 'statefulsets/scale'], verbs: ['get'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'scaler' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'scaler' },
        subjects: [{ kind: 'ServiceAccount', name: 'scaler', namespace: ns }],
      },
    });
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'scaler',
      namespace: ns,
      body: { spec: { expirationSeconds: 600 } },
    });
    const token = tr.status?.token as string;
    expect(token.split('.')).toHaveLength(3);
    const review = await kube.config.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token } } });
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${ns}:scaler`);
    expect(await asToken(token, 'GET', `/apis/apps/v1/namespaces/${ns}/statefulsets/org1-peer/scale`)).toBe(200);
    expect(await asToken(token, 'DELETE', `/apis/apps/v1/namespaces/${ns}/statefulsets/org1-peer`)).toBe(403);
    expect(await asToken(token, 'GET', `/api/v1/namespaces/${ns}/secrets`)).toBe(403);
  });

  it('registers and enrolls a new identity at an organisation’s Fabric CA over TLS', async () => {
    const ca = env.cas.find((c) => c.org === 'org1');
    if (ca === undefined) throw new Error('no org1 CA');
    const client = binary('fabric-ca-client');
    const common = ['--caname', ca.caName, '--tls.certfiles', ca.tlsCert];
    const name = `smoke-${Date.now()}`;
    const { stdout } = await run(client, [
      'register',
      '--id.name',
      name,
      '--id.type',
      'client',
      '--id.affiliation',
      'org1',
      '-u',
      ca.url,
      '--home',
      ca.registrarHome,
      ...common,
    ]);
    const secret = /Password: (\S+)/.exec(stdout)?.[1];
    expect(secret).toBeDefined();
    const home = mkdtempSync(path.join(os.tmpdir(), 'fco-enroll-'));
    try {
      const u = new URL(ca.url);
      await run(client, ['enroll', '-u', `https://${name}:${secret as string}@${u.host}`, '--home', home, ...common]);
      const certFile = path.join(home, 'msp', 'signcerts', 'cert.pem');
      expect(readFileSync(certFile, 'utf8')).toContain('BEGIN CERTIFICATE');
      const { stdout: subject } = await run('openssl', ['x509', '-noout', '-subject', '-in', certFile]);
      expect(subject).toContain(`CN = ${name}`);
      expect(existsSync(path.join(home, 'msp', 'keystore'))).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
