import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverCertificateProblem } from '../../src/jobs/services/server-tls.js';
import { Pki } from '../infra/env/pki.js';

describe('serverCertificateProblem: would a peer trusting the org’s TLS root accept the chaincode server?', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fco-server-tls-'));
  const pki = new Pki(dir);
  const read = (file: string): string => readFileSync(file, 'utf8');
  const org = pki.ca('org', 'org1 CA');
  const other = pki.ca('other', 'another CA');
  const hosts = ['cc-greet-org1.fabric.svc', '127.0.0.1'];
  const good = pki.issue(org, 'good', { cn: 'cc-greet-org1', hosts, usage: 'server' });

  it('accepts a certificate from the root naming every host and address', () => {
    expect(serverCertificateProblem(read(good.cert), read(org.cert), hosts)).toBeUndefined();
    // A root given as a chain (the org CA after another) still counts.
    expect(serverCertificateProblem(read(good.cert), read(other.cert) + read(org.cert), hosts)).toBeUndefined();
  });

  it('refuses one another CA signed, one missing a name or an address, and one about to expire', () => {
    const foreign = pki.issue(other, 'foreign', { cn: 'cc-greet-org1', hosts, usage: 'server' });
    expect(serverCertificateProblem(read(foreign.cert), read(org.cert), hosts)).toMatch(/is not signed by the trusted TLS root/);
    const narrow = pki.issue(org, 'narrow', { cn: 'cc-greet-org1', hosts: ['cc-greet-org1.fabric.svc'], usage: 'server' });
    expect(serverCertificateProblem(read(narrow.cert), read(org.cert), hosts)).toMatch(/does not name 127\.0\.0\.1$/);
    // Pki's certificates live two days: in a day and a half less than a third of that is left.
    const later = Date.now() + 36 * 3600 * 1000;
    expect(serverCertificateProblem(read(good.cert), read(org.cert), hosts, later)).toMatch(/expires/);
  });

  it('does not take the common name for a host name', () => {
    const cnOnly = pki.issue(org, 'cn-only', { cn: 'cc-greet-org1.fabric.svc', usage: 'server' });
    expect(serverCertificateProblem(read(cnOnly.cert), read(org.cert), ['cc-greet-org1.fabric.svc'])).toMatch(/does not name/);
    rmSync(dir, { recursive: true, force: true });
  });
});
