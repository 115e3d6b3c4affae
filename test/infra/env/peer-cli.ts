import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { binary } from './binaries.js';
import type { EnvDetails } from './environment.js';

const run = promisify(execFile);

/** Which peer the CLI talks to: org's peer0 by default; `serverName` when dialling a pod by its IP. */
export interface PeerTarget {
  address?: string;
  serverName?: string;
}

/** Environment for Fabric's peer CLI acting as `org`'s admin. */
export function peerCliEnv(env: EnvDetails, org: string, target: PeerTarget = {}): NodeJS.ProcessEnv {
  const p = [...env.fabric.peers, ...(env.fabric.candidates ?? [])].find((x) => x.org === org);
  if (p === undefined) throw new Error(`no peer for ${org}`);
  return {
    ...process.env,
    FABRIC_CFG_PATH: env.fabric.configDir,
    FABRIC_LOGGING_SPEC: 'warn',
    CORE_PEER_LOCALMSPID: p.mspId,
    CORE_PEER_MSPCONFIGPATH: p.adminMsp,
    CORE_PEER_ADDRESS: target.address ?? p.address,
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_ROOTCERT_FILE: p.tlsRootCert,
    ...(target.serverName === undefined ? {} : { CORE_PEER_TLS_SERVERHOSTOVERRIDE: target.serverName }),
  };
}

/** Runs the peer CLI as `org`'s admin; its stdout and stderr together. */
export async function peerCli(env: EnvDetails, org: string, args: string[], target: PeerTarget = {}): Promise<string> {
  const { stdout, stderr } = await run(binary('peer'), args, { env: peerCliEnv(env, org, target), timeout: 60_000 });
  return `${stdout}${stderr}`;
}

/** The channel's height on the target peer (`peer channel getinfo`). */
export async function ledgerHeight(env: EnvDetails, org: string, target: PeerTarget = {}): Promise<number> {
  const out = await peerCli(env, org, ['channel', 'getinfo', '-c', env.fabric.channel], target);
  return (JSON.parse(out.slice(out.indexOf('{'))) as { height: number }).height;
}
