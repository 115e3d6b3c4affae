import { readFileSync } from 'node:fs';
import type { EnvDetails } from '../infra/env/environment.js';
import { ledgerHeight as peerHeight, peerCli as runPeerCli } from '../infra/env/peer-cli.js';

/** The environment global setup started, as its details file describes it. */
export function testEnvironment(): EnvDetails {
  const file = process.env.FCO_TEST_ENV;
  if (file === undefined) throw new Error('FCO_TEST_ENV is not set: env suites run under test/env/global-setup.ts');
  return JSON.parse(readFileSync(file, 'utf8')) as EnvDetails;
}

/** Fabric's peer CLI as an org's admin, against its peer0 or the peer at `address`. */
export const peerCli = (org: string, args: string[], address?: string): Promise<string> =>
  runPeerCli(testEnvironment(), org, args, address === undefined ? {} : { address });

export const ledgerHeight = (org: string, address?: string): Promise<number> =>
  peerHeight(testEnvironment(), org, address === undefined ? {} : { address });
