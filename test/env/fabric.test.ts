import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { accepts } from '../infra/env/environment.js';
import { freePort } from '../infra/env/net.js';
import { ManagedProcess } from '../infra/env/proc.js';
import { eventually } from '../support/app-process.js';
import { raftLeadership } from '../../src/fabric/operations.js';
import { ledgerHeight, peerCli, testEnvironment } from './support.js';

// The Fabric network of the environment, driven with Fabric's own peer CLI: the reference the
// bot's own lifecycle code is measured against.

const run = promisify(execFile);
const env = testEnvironment();
const work = mkdtempSync(path.join(os.tmpdir(), 'fco-cc-'));
let server: ManagedProcess | undefined;

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const peer = (org: string, args: string[]): Promise<string> => peerCli(org, args);

const ordererArgs = (): string[] => ['-o', env.fabric.orderer.address, '--tls', '--cafile', env.fabric.orderer.tlsRootCert];
const bothPeers = (): string[] => env.fabric.peers.flatMap((p) => ['--peerAddresses', p.address, '--tlsRootCertFiles', p.tlsRootCert]);

describe('the Fabric network', () => {
  it("names exactly one Raft leader of the channel in the three orderers' metrics", async () => {
    // Another suite pauses an orderer for a moment; a new leader is then elected among the others.
    const leaders = await eventually(
      'one leader of mychannel among the orderers that answer',
      async () => {
        const leads = await Promise.all(
          env.fabric.orderers.map((o) =>
            raftLeadership({ url: `http://${o.operations}` }, 2000).then(
              (m) => m.get(env.fabric.channel),
              () => undefined,
            ),
          ),
        );
        const named = env.fabric.orderers.filter((_, i) => leads[i] === true).map((o) => o.name);
        return named.length === 1 && leads.filter((l) => l === false).length >= 1 ? named : undefined;
      },
      30_000,
    );
    expect(leaders).toHaveLength(1);
  });

  it('has both peers on the channel', async () => {
    for (const p of env.fabric.peers) expect(await peer(p.org, ['channel', 'list'])).toContain(env.fabric.channel);
  });

  it('runs a Node chaincode as a service: packaged, installed, approved by both orgs, committed, invoked', async () => {
    const port = await freePort();
    writeFileSync(
      path.join(work, 'connection.json'),
      JSON.stringify({ address: `127.0.0.1:${port}`, dial_timeout: '10s', tls_required: false }),
    );
    writeFileSync(path.join(work, 'metadata.json'), JSON.stringify({ type: 'ccaas', label: 'basic_1.0' }));
    await run('tar', ['-C', work, '-czf', path.join(work, 'code.tar.gz'), 'connection.json']);
    const pkg = path.join(work, 'basic.tgz');
    await run('tar', ['-C', work, '-czf', pkg, 'metadata.json', 'code.tar.gz']);

    const packageId = (await peer('org1', ['lifecycle', 'chaincode', 'calculatepackageid', pkg])).trim();
    expect(packageId).toMatch(/^basic_1\.0:[0-9a-f]{64}$/);
    for (const p of env.fabric.peers) {
      await peer(p.org, ['lifecycle', 'chaincode', 'install', pkg]);
      const installed = JSON.parse(await peer(p.org, ['lifecycle', 'chaincode', 'queryinstalled', '--output', 'json'])) as {
        installed_chaincodes: { package_id: string }[];
      };
      expect(installed.installed_chaincodes.map((c) => c.package_id)).toContain(packageId);
    }

    server = ManagedProcess.start('chaincode-basic', process.execPath, [path.resolve('test/fixtures/chaincode/basic/server.js')], {
      logDir: work,
      env: { CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`, CHAINCODE_ID: packageId },
    });
    await server.waitUntil('the chaincode server to listen', () => accepts(port));

    const definition = ['-C', env.fabric.channel, '--name', 'basic', '--version', '1.0', '--sequence', '1'];
    for (const p of env.fabric.peers) {
      await peer(p.org, [
        'lifecycle',
        'chaincode',
        'approveformyorg',
        ...ordererArgs(),
        ...definition,
        '--package-id',
        packageId,
        '--waitForEvent',
      ]);
    }
    const readiness = await peer('org1', ['lifecycle', 'chaincode', 'checkcommitreadiness', ...definition, '--output', 'json']);
    expect(JSON.parse(readiness)).toEqual({ approvals: { Org1MSP: true, Org2MSP: true } });
    await peer('org1', ['lifecycle', 'chaincode', 'commit', ...ordererArgs(), ...definition, ...bothPeers()]);
    expect(await peer('org2', ['lifecycle', 'chaincode', 'querycommitted', '-C', env.fabric.channel, '--name', 'basic'])).toContain(
      'Sequence: 1',
    );

    await peer('org1', [
      'chaincode',
      'invoke',
      ...ordererArgs(),
      '-C',
      env.fabric.channel,
      '-n',
      'basic',
      ...bothPeers(),
      '--waitForEvent',
      '-c',
      JSON.stringify({ Args: ['put', 'greeting', 'hello from org1'] }),
    ]);
    expect(
      (
        await peer('org2', [
          'chaincode',
          'query',
          '-C',
          env.fabric.channel,
          '-n',
          'basic',
          '-c',
          JSON.stringify({ Args: ['get', 'greeting'] }),
        ])
      ).trim(),
    ).toBe('hello from org1');
  }, 180_000);

  it('keeps both peers at the same ledger height', async () => {
    const [h1, h2] = await eventually('equal heights', async () => {
      const hs = await Promise.all(env.fabric.peers.map((p) => ledgerHeight(p.org)));
      return hs.length === 2 && hs[0] === hs[1] ? hs : undefined;
    });
    expect(h1).toBe(h2);
    expect(h1).toBeGreaterThanOrEqual(5);
  });
});
