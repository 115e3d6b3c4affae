import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { apiStatus, connectKube } from '../../src/k8s/client.js';
import { saveIdentity } from '../../src/k8s/identities.js';
import { testEnvironment } from './support.js';

// The init container of manifests/fabric-org/org1-peer.yaml, run as it runs there: node
// dist/peer-identity.js, authenticated as the org1-peer ServiceAccount the manifest declares.
const env = testEnvironment();
const admin = connectKube(env.kubeconfig);
const NS = 'peer-identity-test';
const work = mkdtempSync(path.join(os.tmpdir(), 'fco-peer-identity-'));
let saKubeconfig: string;

const identity = (name: string) => ({
  mspId: 'Org1MSP',
  certPem: `-----BEGIN CERTIFICATE-----\ncert of ${name}\n-----END CERTIFICATE-----\n`,
  keyPem: `-----BEGIN PRIVATE KEY-----\nkey of ${name}\n-----END PRIVATE KEY-----\n`,
  caChainPem: 'org1 ca\n',
  tlsCertPem: `tls cert of ${name}\n`,
  tlsKeyPem: `tls key of ${name}\n`,
  tlsCaPem: 'org1 tls ca\n',
});
const save = (org: string, name: string) => saveIdentity(admin, NS, { network: 'testnet', org, name }, identity(name));

interface Run {
  code: number;
  out: string;
  dir: string;
}

/** Runs the init container's program for `pod` of org1; resolves when it exits. */
function initContainer(pod: string, env: Record<string, string> = {}): Promise<Run> {
  const dir = mkdtempSync(path.join(work, 'identity-'));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/peer-identity.js'],
      {
        env: { PATH: process.env.PATH, KUBECONFIG: saKubeconfig, POD_NAME: pod, NAMESPACE: NS, ORG: 'org1', IDENTITY_DIR: dir, ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), out: `${stdout}${stderr}`, dir }),
    );
  });
}

beforeAll(async () => {
  await admin.core.createNamespace({ body: { metadata: { name: NS } } });
  const objects = KubernetesObjectApi.makeApiClient(admin.config);
  const docs = parseAllDocuments(readFileSync('manifests/fabric-org/org1-peer.yaml', 'utf8')).map((d) => d.toJS() as KubernetesObject);
  for (const doc of docs.filter((d) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(d.kind ?? '')))
    await objects.create({ ...doc, metadata: { ...doc.metadata, namespace: NS } });
  // What a pod of the StatefulSet gets in its projected volume: a token for org1-peer.
  const token = await admin.core.createNamespacedServiceAccountToken({
    name: 'org1-peer',
    namespace: NS,
    body: { spec: { expirationSeconds: 600 } },
  });
  const cluster = admin.config.getCurrentCluster();
  if (cluster === null) throw new Error('no cluster in the kubeconfig');
  saKubeconfig = path.join(work, 'org1-peer.kubeconfig');
  writeFileSync(
    saKubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'env',
          cluster: {
            server: cluster.server,
            ...(cluster.caData === undefined
              ? { 'certificate-authority': cluster.caFile }
              : { 'certificate-authority-data': cluster.caData }),
          },
        },
      ],
      users: [{ name: 'org1-peer', user: { token: token.status?.token } }],
      contexts: [{ name: 'env', context: { cluster: 'env', user: 'org1-peer' } }],
      'current-context': 'env',
    }),
  );
  await save('org1', 'org1-peer-1');
  await save('org1', 'admin');
  await save('org2', 'org2-peer-1');
});

afterAll(async () => {
  await admin.core.deleteNamespace({ name: NS });
  rmSync(work, { recursive: true, force: true });
});

describe("a peer pod's init container", () => {
  it("writes the pod's own MSP and TLS files where the peer's configuration points, keys readable by its user only", async () => {
    const run = await initContainer('org1-peer-1');
    expect(run.code).toBe(0);
    const file = (p: string) => readFileSync(path.join(run.dir, p), 'utf8');
    const id = identity('org1-peer-1');
    expect(file('msp/signcerts/cert.pem')).toBe(id.certPem);
    expect(file('msp/keystore/key.pem')).toBe(id.keyPem);
    expect(file('msp/cacerts/ca.pem')).toBe(id.caChainPem);
    expect(file('tls/server.crt')).toBe(id.tlsCertPem);
    expect(file('tls/server.key')).toBe(id.tlsKeyPem);
    expect(file('tls/ca.crt')).toBe(id.tlsCaPem);
    for (const key of ['msp/keystore/key.pem', 'tls/server.key']) expect(statSync(path.join(run.dir, key)).mode & 0o777).toBe(0o600);
    const ous = parse(file('msp/config.yaml')) as { NodeOUs: { Enable: boolean; PeerOUIdentifier: Record<string, string> } };
    expect(ous.NodeOUs.Enable).toBe(true);
    expect(ous.NodeOUs.PeerOUIdentifier).toEqual({ Certificate: 'cacerts/ca.pem', OrganizationalUnitIdentifier: 'peer' });
    expect(run.out).toContain("wrote org1-peer-1's MSP (Org1MSP)");
    expect(run.out).not.toContain('key of');
  });

  it('waits for a Secret the bot has not written yet, and starts the peer once it is there', async () => {
    const running = initContainer('org1-peer-2');
    await new Promise((r) => setTimeout(r, 1500));
    await save('org1', 'org1-peer-2');
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.out).toContain(`waiting for Secret ${NS}/org1-id-org1-peer-2`);
    expect(readFileSync(path.join(run.dir, 'msp/signcerts/cert.pem'), 'utf8')).toContain('cert of org1-peer-2');
  });

  it('fails, saying which Secret and how to make it, when none comes in time; writes nothing', async () => {
    const run = await initContainer('org1-peer-3', { IDENTITY_WAIT_SECONDS: '2' });
    expect(run.code).toBe(1);
    expect(run.out).toContain(`Secret ${NS}/org1-id-org1-peer-3 did not appear within 2 s`);
    expect(run.out).toContain('/fabric peers scale org1');
    expect(existsSync(path.join(run.dir, 'msp'))).toBe(false);
  });

  it('refuses a wait that is not a whole number of seconds, saying so, rather than waiting forever', async () => {
    const run = await initContainer('org1-peer-3', { IDENTITY_WAIT_SECONDS: 'soon' });
    expect(run.code).toBe(1);
    expect(run.out).toContain('IDENTITY_WAIT_SECONDS must be a whole number of seconds, not "soon"');
    expect(existsSync(path.join(run.dir, 'msp'))).toBe(false);
  });

  it("may read its org's peer identities and nothing else: not the org's admin, nor another org's peers", async () => {
    const asAdmin = await initContainer('admin');
    expect(asAdmin.code).toBe(1);
    expect(asAdmin.out).toMatch(/forbidden|403/i);
    expect(existsSync(path.join(asAdmin.dir, 'msp'))).toBe(false);
    const sa = connectKube(saKubeconfig);
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (e: unknown) => apiStatus(e),
      );
    expect(await status(sa.core.readNamespacedSecret({ name: 'org1-id-org1-peer-1', namespace: NS }))).toBe(200);
    expect(await status(sa.core.readNamespacedSecret({ name: 'org1-id-admin', namespace: NS }))).toBe(403);
    expect(await status(sa.core.readNamespacedSecret({ name: 'org2-id-org2-peer-1', namespace: NS }))).toBe(403);
    expect(await status(sa.core.listNamespacedSecret({ namespace: NS }))).toBe(403);
    expect(await status(sa.core.readNamespacedSecret({ name: 'org1-id-org1-peer-1', namespace: env.namespace }))).toBe(403);
  });
});
