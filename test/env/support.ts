import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { binary } from '../infra/env/binaries.js';
import type { EnvDetails } from '../infra/env/environment.js';

const run = promisify(execFile);

/** The environment global setup started, as its details file describes it. */
export function testEnvironment(): EnvDetails {
  const file = process.env.FCO_TEST_ENV;
  if (file === undefined) throw new Error('FCO_TEST_ENV is not set: env suites run under test/env/global-setup.ts');
  return JSON.parse(readFileSync(file, 'utf8')) as EnvDetails;
}

/** Fabric's peer CLI as an org's admin, against its peer0 or the peer at `address`. */
export async function peerCli(org: string, args: string[], address?: string): Promise<string> {
  const env = testEnvironment();
  const p = env.fabric.peers.find((x) => x.org === org);
  if (p === undefined) throw new Error(`no peer for ${org}`);
  const cliEnv = {
    ...process.env,
    FABRIC_CFG_PATH: env.fabric.configDir,
    FABRIC_LOGGING_SPEC: 'warn',
    CORE_PEER_LOCALMSPID: p.mspId,
    CORE_PEER_MSPCONFIGPATH: p.adminMsp,
    CORE_PEER_ADDRESS: address ?? p.address,
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_ROOTCERT_FILE: p.tlsRootCert,
  };
  const { stdout, stderr } = await run(binary('peer'), args, { env: cliEnv, timeout: 60_000 });
  return `${stdout}${stderr}`;
}

export async function ledgerHeight(org: string, address?: string): Promise<number> {
  const out = await peerCli(org, ['channel', 'getinfo', '-c', testEnvironment().fabric.channel], address);
  return (JSON.parse(out.slice(out.indexOf('{'))) as { height: number }).height;
}
