import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withGateway, type FabricIdentity, type PeerEndpoint } from '../../src/fabric/connection.js';
import {
  approveForMyOrg,
  ccaasPackage,
  commitDefinition,
  commitReadiness,
  committedDefinition,
  installedPackages,
  installPackage,
  type ChaincodeDefinition,
} from '../../src/fabric/lifecycle.js';
import { accepts } from '../infra/env/environment.js';
import { freePort } from '../infra/env/net.js';
import { ManagedProcess } from '../infra/env/proc.js';
import { parseCollections, type CollectionConfig } from '../../src/fabric/collections.js';
import { parseSignaturePolicy } from '../../src/fabric/policy.js';
import { peerCli, testEnvironment } from './support.js';

// src/fabric's lifecycle, on the environment's real peers: packaging, install straight to each
// peer's endorser, approvals and commit through the Fabric Gateway.

const env = testEnvironment();
const work = mkdtempSync(path.join(os.tmpdir(), 'fco-lc-'));
let server: ManagedProcess | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

function org(name: string): { peer: PeerEndpoint; admin: FabricIdentity; mspId: string } {
  const p = env.fabric.peers.find((x) => x.org === name);
  if (p === undefined) throw new Error(`no ${name}`);
  const keystore = path.join(p.adminMsp, 'keystore');
  return {
    mspId: p.mspId,
    peer: { address: p.address, tlsRootPem: readFileSync(p.tlsRootCert, 'utf8') },
    admin: {
      mspId: p.mspId,
      certPem: readFileSync(path.join(p.adminMsp, 'signcerts', 'cert.pem'), 'utf8'),
      keyPem: readFileSync(path.join(keystore, readdirSync(keystore)[0] as string), 'utf8'),
    },
  };
}

describe('chaincode lifecycle from src/fabric', () => {
  const orgs = ['org1', 'org2'].map(org);
  let port: number;
  let pkg: ReturnType<typeof ccaasPackage>;
  const def = (sequence: number, version: string): ChaincodeDefinition => ({ channel: env.fabric.channel, name: 'lc', version, sequence });

  it('builds a deterministic CCaaS package and installs it on every peer, idempotently', async () => {
    port = await freePort();
    pkg = ccaasPackage('lc_1.0', `127.0.0.1:${port}`);
    expect(ccaasPackage('lc_1.0', `127.0.0.1:${port}`).packageId).toBe(pkg.packageId);
    for (const o of orgs) {
      const first = await installPackage(o.peer, o.admin, pkg.bytes);
      expect(first).toEqual({ packageId: pkg.packageId, alreadyInstalled: false });
      expect(await installPackage(o.peer, o.admin, pkg.bytes)).toEqual({ packageId: pkg.packageId, alreadyInstalled: true });
      expect(await installedPackages(o.peer, o.admin)).toContain(pkg.packageId);
    }
  });

  it('approves for each org, commits, and the chaincode answers through the gateway', async () => {
    server = ManagedProcess.start('chaincode-lc', process.execPath, [path.resolve('test/fixtures/chaincode/basic/server.js')], {
      logDir: work,
      env: { CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`, CHAINCODE_ID: pkg.packageId },
    });
    await server.waitUntil('the chaincode server to listen', () => accepts(port));
    for (const o of orgs) {
      expect(await withGateway(o.peer, o.admin, (g) => approveForMyOrg(g, def(1, '1.0'), pkg.packageId, o.mspId))).toBe('approved');
      expect(await withGateway(o.peer, o.admin, (g) => approveForMyOrg(g, def(1, '1.0'), pkg.packageId, o.mspId))).toBe('already-approved');
    }
    const [o1] = orgs as [ReturnType<typeof org>];
    expect(await withGateway(o1.peer, o1.admin, (g) => commitReadiness(g, def(1, '1.0')))).toEqual({ Org1MSP: true, Org2MSP: true });
    expect(await withGateway(o1.peer, o1.admin, (g) => commitDefinition(g, def(1, '1.0'), ['Org1MSP', 'Org2MSP']))).toBe('committed');
    expect(await withGateway(o1.peer, o1.admin, (g) => commitDefinition(g, def(1, '1.0'), ['Org1MSP', 'Org2MSP']))).toBe(
      'already-committed',
    );
    const value = await withGateway(o1.peer, o1.admin, async (g) => {
      const contract = g.getNetwork(env.fabric.channel).getContract('lc');
      await contract.submitTransaction('put', 'colour', 'teal');
      return Buffer.from(await contract.evaluateTransaction('get', 'colour')).toString();
    });
    expect(value).toBe('teal');
  }, 120_000);

  it('upgrades to sequence 2', async () => {
    for (const o of orgs) await withGateway(o.peer, o.admin, (g) => approveForMyOrg(g, def(2, '1.1'), pkg.packageId, o.mspId));
    const [o1] = orgs as [ReturnType<typeof org>];
    await withGateway(o1.peer, o1.admin, (g) => commitDefinition(g, def(2, '1.1'), ['Org1MSP', 'Org2MSP']));
    expect(await withGateway(o1.peer, o1.admin, (g) => committedDefinition(g, env.fabric.channel, 'lc'))).toEqual({
      sequence: 2,
      version: '1.1',
    });
  }, 120_000);
});

describe('endorsement policies and private data collections, as the peer CLI encodes them', () => {
  const orgs = ['org1', 'org2'].map(org);
  const signaturePolicy = "AND('Org1MSP.peer', OR('Org2MSP.peer', 'Org2MSP.admin'))";
  const collections: CollectionConfig[] = [
    {
      name: 'secrets',
      policy: "OR('Org1MSP.member', 'Org2MSP.member')",
      requiredPeerCount: 0,
      maxPeerCount: 1,
      blockToLive: 100,
      memberOnlyRead: true,
      memberOnlyWrite: true,
      endorsementPolicy: { signaturePolicy: "OR('Org1MSP.peer')" },
    },
    { name: 'shared', policy: "OutOf(1, 'Org1MSP.member', 'Org2MSP.member')" },
  ];
  const def: ChaincodeDefinition = { channel: env.fabric.channel, name: 'pdc', version: '1.0', sequence: 1, signaturePolicy, collections };

  it('an approval made here is the definition the CLI asks about, byte for byte; the CLI’s approval counts for our commit', async () => {
    const pkg = ccaasPackage('pdc_1.0', `127.0.0.1:${await freePort()}`);
    for (const o of orgs) await installPackage(o.peer, o.admin, pkg.bytes);
    const [o1, o2] = orgs as [ReturnType<typeof org>, ReturnType<typeof org>];
    expect(await withGateway(o1.peer, o1.admin, (g) => approveForMyOrg(g, def, pkg.packageId, o1.mspId))).toBe('approved');
    const file = path.join(work, 'collections.json');
    writeFileSync(file, JSON.stringify(collections));
    const same = [
      '-C',
      env.fabric.channel,
      '-n',
      'pdc',
      '-v',
      '1.0',
      '--sequence',
      '1',
      '--signature-policy',
      signaturePolicy,
      '--collections-config',
      file,
    ];
    const readiness = await peerCli('org2', ['lifecycle', 'chaincode', 'checkcommitreadiness', ...same, '--output', 'json']);
    expect(JSON.parse(readiness.slice(readiness.indexOf('{')))).toEqual({ approvals: { Org1MSP: true, Org2MSP: false } });
    const o = env.fabric.orderer;
    await peerCli('org2', [
      'lifecycle',
      'chaincode',
      'approveformyorg',
      ...same,
      '--package-id',
      pkg.packageId,
      '-o',
      o.address,
      '--tls',
      '--cafile',
      o.tlsRootCert,
      '--waitForEvent',
    ]);
    expect(await withGateway(o2.peer, o2.admin, (g) => commitReadiness(g, def))).toEqual({ Org1MSP: true, Org2MSP: true });
    expect(await withGateway(o1.peer, o1.admin, (g) => commitDefinition(g, def, ['Org1MSP', 'Org2MSP']))).toBe('committed');
    const committed = await peerCli('org1', [
      'lifecycle',
      'chaincode',
      'querycommitted',
      '-C',
      env.fabric.channel,
      '-n',
      'pdc',
      '--output',
      'json',
    ]);
    const parsed = JSON.parse(committed.slice(committed.indexOf('{'))) as { sequence: number; collections?: unknown };
    expect(parsed.sequence).toBe(1);
    // The CLI prints the protobuf's JSON form; its field naming varies, the names do not.
    const stored = JSON.stringify(parsed.collections);
    expect(stored.indexOf('"secrets"')).toBeGreaterThan(-1);
    expect(stored.indexOf('"shared"')).toBeGreaterThan(stored.indexOf('"secrets"'));
  }, 120_000);

  it('refuses a policy or collection it cannot read, saying where', () => {
    expect(() => parseSignaturePolicy("AND('Org1MSP.peer',")).toThrow('the policy ends too early');
    expect(() => parseSignaturePolicy("OR('Org1MSP.boss')")).toThrow("'Org1MSP.boss' is not a principal like 'Org1MSP.peer'");
    expect(() => parseCollections('[{"name":"a","policy":"OR(\'Org1MSP.member\')","requiredPeerCount":2,"maxPeerCount":1}]')).toThrow(
      'a: requiredPeerCount is above maxPeerCount',
    );
  });
});
