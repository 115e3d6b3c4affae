import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/load.js';
import { FabricCaClient } from '../../src/fabric/ca.js';
import { caAccess, caEndpoint } from '../../src/jobs/services/ca-access.js';
import { expiringIdentities } from '../../src/jobs/services/identity-expiry.js';
import { connectKube } from '../../src/k8s/client.js';
import { saveIdentity } from '../../src/k8s/identities.js';
import { binary } from '../infra/env/binaries.js';
import { freePort, httpOk } from '../infra/env/net.js';
import { ManagedProcess } from '../infra/env/proc.js';
import { platformFor } from './platform.js';
import { testEnvironment } from './support.js';

const run = promisify(execFile);
const env = testEnvironment();
const kube = connectKube(env.kubeconfig);

async function org1() {
  const { config } = await loadConfig(env.botConfig);
  const network = config.networks[0];
  const org = network?.orgs.find((o) => o.name === 'org1');
  if (network === undefined || org === undefined) throw new Error('no org1 in the environment config');
  return caAccess(kube, network, org);
}

describe('src/fabric/ca.ts against a real fabric-ca-server over TLS', () => {
  it("reads the CA's chain with no identity (as getcainfo does): the certificate that signed an enrolment; a CA name it does not serve is refused by name", async () => {
    const { config } = await loadConfig(env.botConfig);
    const network = config.networks[0];
    const org = network?.orgs.find((o) => o.name === 'org1');
    if (network === undefined || org === undefined) throw new Error('no org1 in the environment config');
    const endpoint = await caEndpoint(kube, network, org);
    const chain = await new FabricCaClient(endpoint).caChain();
    const { ca, registrar } = await org1();
    const id = `chain-${Date.now()}`;
    const enrolled = await ca.enroll({ id, secret: await ca.register(registrar, { id, type: 'client' }) });
    expect(new X509Certificate(enrolled.certPem).verify(new X509Certificate(chain).publicKey)).toBe(true);
    await expect(new FabricCaClient({ ...endpoint, caName: 'no-such-ca' }).caChain()).rejects.toThrow(/reading the CA chain: .*no-such-ca/);
  });

  it('reads the chain of a CA without TLS too (an http:// URL, as the configuration allows)', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'fco-plain-ca-'));
    const [port, ops] = (await Promise.all([freePort(), freePort()])) as [number, number];
    const server = ManagedProcess.start(
      'fabric-ca-plain',
      binary('fabric-ca-server'),
      ['start', '-b', 'admin:adminpw', '--port', String(port), '--home', home, '--ca.name', 'ca-plain'],
      { logDir: home, env: { FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS: `127.0.0.1:${ops}` } },
    );
    try {
      const url = `http://127.0.0.1:${port}`;
      await server.waitUntil('/cainfo answered', () => httpOk(`${url}/cainfo`).catch(() => false), 60_000);
      const chain = await new FabricCaClient({ url, caName: 'ca-plain', tlsRootPem: '' }).caChain();
      expect(new X509Certificate(chain).fingerprint256).toBe(
        new X509Certificate(readFileSync(path.join(home, 'ca-cert.pem'))).fingerprint256,
      );
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('registers and enrolls a peer: a signing certificate, and a TLS certificate for its hosts', async () => {
    const { ca, registrar } = await org1();
    const id = `peer-${Date.now()}`;
    const secret = await ca.register(registrar, { id, type: 'peer' });
    const signing = await ca.enroll({ id, secret });
    const cert = new X509Certificate(signing.certPem);
    expect(cert.subject).toContain(`CN=${id}`);
    expect(cert.subject).toContain('OU=peer');
    expect(signing.keyPem).toContain('PRIVATE KEY');
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(signing.keyPem))).toBe(true);
    const tls = await ca.enroll({ id, secret, profile: 'tls', hosts: ['127.0.0.1', `${id}.example.svc`] });
    const san = new X509Certificate(tls.certPem).subjectAltName ?? '';
    expect(san).toContain('IP Address:127.0.0.1');
    expect(san).toContain(`DNS:${id}.example.svc`);
    expect(new X509Certificate(tls.certPem).verify(new X509Certificate(tls.caChainPem).publicKey)).toBe(true);
  });

  it('registering the same identity again gives it a new secret (a retried job still enrolls)', async () => {
    const { ca, registrar } = await org1();
    const id = `client-${Date.now()}`;
    const first = await ca.register(registrar, { id, type: 'client' });
    const second = await ca.register(registrar, { id, type: 'client' });
    expect(second).not.toBe(first);
    await expect(ca.enroll({ id, secret: first })).rejects.toThrow(/enrolling/);
    expect((await ca.enroll({ id, secret: second })).certPem).toContain('BEGIN CERTIFICATE');
  });

  it('revokes an identity: its serials are returned and it can no longer enroll', async () => {
    const { ca, registrar } = await org1();
    const id = `gone-${Date.now()}`;
    const secret = await ca.register(registrar, { id, type: 'client' });
    const enrolled = await ca.enroll({ id, secret });
    const serials = await ca.revoke(registrar, { id, reason: 'keycompromise' });
    const hex = (s: string): string => s.toLowerCase().replace(/^0+/, '');
    expect(serials.map(hex)).toContain(hex(new X509Certificate(enrolled.certPem).serialNumber));
    await expect(ca.enroll({ id, secret })).rejects.toThrow(/enrolling gone-/);
  });
});

describe('renewal, revocation lists and the expiry scan', () => {
  it('register → enroll → renew → revoke: the revoked certificate is in the new CRL and cannot renew', async () => {
    const { ca, registrar } = await org1();
    const id = `round-${Date.now()}`;
    const secret = await ca.register(registrar, { id, type: 'client' });
    const first = await ca.enroll({ id, secret });
    const renewed = await ca.reenroll({ id, mspId: 'Org1MSP', certPem: first.certPem, keyPem: first.keyPem });
    const a = new X509Certificate(first.certPem);
    const b = new X509Certificate(renewed.certPem);
    expect(b.subject).toBe(a.subject);
    expect(b.serialNumber).not.toBe(a.serialNumber);
    expect(renewed.keyPem).not.toBe(first.keyPem);
    await ca.revoke(registrar, { id, reason: 'superseded' });
    const hex = (s: string): string => s.toLowerCase().replace(/^0+/, '');
    const crl = await ca.crl(registrar);
    expect(crl.pem).toContain('BEGIN X509 CRL');
    expect(crl.serials).toEqual(expect.arrayContaining([hex(a.serialNumber), hex(b.serialNumber)]));
    await expect(ca.reenroll({ id, mspId: 'Org1MSP', certPem: renewed.certPem, keyPem: renewed.keyPem })).rejects.toThrow(
      /renewing round-/,
    );
  });

  it('reports a certificate issued with a short validity, and not the year-long ones', async () => {
    const platform = await platformFor(env);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fco-short-'));
    try {
      const key = path.join(dir, 'k.pem');
      const cert = path.join(dir, 'c.pem');
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=short-lived',
      ]);
      await saveIdentity(
        kube,
        env.namespace,
        { network: env.network, org: 'org2', name: 'short-lived' },
        { mspId: 'Org2MSP', certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') },
      );
      const soon = await expiringIdentities(platform, env.network, 7);
      expect(soon.find((e) => e.name === 'short-lived')).toMatchObject({ org: 'org2', daysLeft: 1 });
      expect(soon.some((e) => e.name === 'admin')).toBe(false);
      expect((await expiringIdentities(platform, env.network, 400)).some((e) => e.name === 'admin')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
