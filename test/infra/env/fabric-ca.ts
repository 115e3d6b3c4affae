import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { binary } from './binaries.js';
import { freePort, httpsGet } from './net.js';
import { ManagedProcess } from './proc.js';

const run = promisify(execFile);

/** A TLS-enabled fabric-ca-server for one organisation, with its bootstrap registrar. */
export interface FabricCa {
  org: string;
  caName: string;
  url: string;
  /** The CA's own certificate; clients trust it for TLS (the server issues its TLS cert from it). */
  tlsCert: string;
  registrar: { id: string; secret: string };
  home: string;
  process: ManagedProcess;
}

export async function startFabricCa(opts: {
  org: string;
  dir: string;
  logDir: string;
  /** Another address its TLS certificate names (it listens on every address), e.g. a real node's bridge. */
  host?: string;
}): Promise<FabricCa> {
  const home = path.join(opts.dir, 'ca', opts.org);
  mkdirSync(home, { recursive: true });
  const [port, opsPort] = (await Promise.all([freePort(), freePort()])) as [number, number];
  const caName = `ca-${opts.org}`;
  const registrar = { id: 'registrar', secret: randomBytes(12).toString('hex') };
  const ca = ManagedProcess.start(
    `fabric-ca-${opts.org}`,
    binary('fabric-ca-server'),
    [
      'start',
      '-b',
      `${registrar.id}:${registrar.secret}`,
      '--port',
      String(port),
      '--home',
      home,
      '--tls.enabled',
      '--csr.cn',
      `${opts.org}-ca`,
      '--csr.hosts',
      ['localhost', '127.0.0.1', ...(opts.host === undefined ? [] : [opts.host])].join(','),
      '--ca.name',
      caName,
    ],
    // The operations endpoint defaults to 127.0.0.1:9443, which every CA and orderer would share.
    { logDir: opts.logDir, env: { FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS: `127.0.0.1:${opsPort}` } },
  );
  const tlsCert = path.join(home, 'ca-cert.pem');
  const url = `https://127.0.0.1:${port}`;
  await ca.waitUntil('/cainfo answered over TLS', async () => (await httpsGet(`${url}/cainfo`, { ca: tlsCert })).status === 200, 60_000);
  return { org: opts.org, caName, url, tlsCert, registrar, home, process: ca };
}

/** fabric-ca-client, the upstream CLI, for the harness's own identities. */
export async function caClient(ca: FabricCa, args: string[], mspHome: string): Promise<string> {
  const { stdout, stderr } = await run(
    binary('fabric-ca-client'),
    [...args, '--caname', ca.caName, '--tls.certfiles', ca.tlsCert, '--home', mspHome],
    { timeout: 30_000 },
  );
  return `${stdout}${stderr}`;
}

export async function enrollRegistrar(ca: FabricCa, mspHome: string): Promise<void> {
  const u = new URL(ca.url);
  await caClient(ca, ['enroll', '-u', `https://${ca.registrar.id}:${encodeURIComponent(ca.registrar.secret)}@${u.host}`], mspHome);
}
