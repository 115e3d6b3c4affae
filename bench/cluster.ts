import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import FabricCAServices from 'fabric-ca-client';
import pMap from 'p-map';
import { User } from 'fabric-common';
import { loadConfig } from '../src/config/load.js';
import { withGateway, type FabricIdentity, type PeerEndpoint } from '../src/fabric/connection.js';
import { approveForMyOrg, ccaasPackage, commitDefinition, installPackage, type ChaincodeDefinition } from '../src/fabric/lifecycle.js';
import { CA_CONCURRENCY, caAccess } from '../src/jobs/services/ca-access.js';
import { createPlatform, networkNamed, orgNamed } from '../src/jobs/services/platform.js';
import { binary } from '../test/infra/env/binaries.js';
import type { EnvDetails } from '../test/infra/env/environment.js';
import { median, ms, sleep, type BenchOptions, type BenchResult } from './lib.js';

const run = promisify(execFile);

/** Register + enroll N identities: our CA layer, the raw fabric-ca-client SDK, and the CLI in a loop. */
export async function caEnroll(env: EnvDetails, opts: BenchOptions): Promise<BenchResult> {
  const n = opts.short ? 3 : 20;
  const { config } = await loadConfig(env.botConfig);
  const platform = createPlatform(config, env.kubeconfig);
  const network = networkNamed(config, env.network);
  const { ca, registrar } = await caAccess(platform.kube(), network, orgNamed(network, 'org1'));
  const caInfo = env.cas.find((c) => c.org === 'org1');
  if (caInfo === undefined) throw new Error('no org1 CA');
  const tag = Date.now().toString(36);

  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `bench-ours-${tag}-${i}`;
    const secret = await ca.register(registrar, { id, type: 'client' });
    await ca.enroll({ id, secret });
  }
  const ours = performance.now() - t0;

  // As the jobs enrol several identities (peers scale by more than one): CA_CONCURRENCY at once.
  const tp = performance.now();
  await pMap(
    Array.from({ length: n }, (_, i) => `bench-par-${tag}-${i}`),
    async (id) => ca.enroll({ id, secret: await ca.register(registrar, { id, type: 'client' }) }),
    { concurrency: CA_CONCURRENCY },
  );
  const parallel = performance.now() - tp;

  const services = new FabricCAServices(
    caInfo.url,
    { trustedRoots: [readFileSync(caInfo.tlsCert, 'utf8')] as unknown as Buffer, verify: true },
    caInfo.caName,
  );
  const admin = new User('registrar');
  const suite = User.newCryptoSuite();
  admin.setCryptoSuite(suite);
  await admin.setEnrollment(await suite.createKeyFromRaw(registrar.keyPem), registrar.certPem, registrar.mspId);
  const t1 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `bench-sdk-${tag}-${i}`;
    const secret = await services.register({ enrollmentID: id, role: 'client', affiliation: '' }, admin);
    await services.enroll({ enrollmentID: id, enrollmentSecret: secret });
  }
  const sdk = performance.now() - t1;

  const home = mkdtempSync(path.join(os.tmpdir(), 'fco-bench-cli-'));
  const common = ['--tls.certfiles', caInfo.tlsCert, '--caname', caInfo.caName];
  const t2 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `bench-cli-${tag}-${i}`;
    await run(binary('fabric-ca-client'), [
      'register',
      '--id.name',
      id,
      '--id.secret',
      'benchsecret',
      '--id.type',
      'client',
      '-u',
      caInfo.url,
      '-H',
      caInfo.registrarHome,
      ...common,
    ]);
    const url = new URL(caInfo.url);
    url.username = id;
    url.password = 'benchsecret';
    await run(binary('fabric-ca-client'), ['enroll', '-u', url.toString().replace(/\/$/, ''), '-H', path.join(home, id), ...common]);
  }
  const cli = performance.now() - t2;
  rmSync(home, { recursive: true, force: true });

  return {
    name: 'ca-enroll',
    short: opts.short,
    rows: [
      {
        what: `register + enroll ${n} identities, bot's CA layer, ${CA_CONCURRENCY} at a time as its jobs enrol`,
        value: ms(parallel),
        baseline: `CLI loop ${ms(cli)}`,
        ratio: cli / parallel,
        target: '>= 3x faster than the CLI',
        met: cli / parallel >= 3,
      },
      {
        what: `register + enroll ${n} identities one after another, bot's CA layer`,
        value: ms(ours),
        baseline: `CLI loop ${ms(cli)}`,
        ratio: cli / ours,
      },
      {
        what: 'the same one after another, against the raw fabric-ca-client SDK',
        value: ms(ours),
        baseline: `raw SDK ${ms(sdk)}`,
        ratio: ours / sdk,
        target: '<= 1.15x the raw SDK',
        met: ours / sdk <= 1.15,
      },
      { what: 'per identity: bot / raw SDK / CLI', value: `${ms(ours / n)} / ${ms(sdk / n)} / ${ms(cli / n)}` },
    ],
    notes: [
      'the bot makes its key and CSR locally (with SANs for TLS); the raw SDK lets fabric-ca-client make them; ' +
        'the CLI starts two processes per identity',
    ],
  };
}

function adminOf(env: EnvDetails, org: string): { peer: PeerEndpoint; admin: FabricIdentity; mspId: string; cliEnv: NodeJS.ProcessEnv } {
  const p = env.fabric.peers.find((x) => x.org === org);
  if (p === undefined) throw new Error(`no ${org}`);
  const keystore = path.join(p.adminMsp, 'keystore');
  return {
    mspId: p.mspId,
    peer: { address: p.address, tlsRootPem: readFileSync(p.tlsRootCert, 'utf8') },
    admin: {
      mspId: p.mspId,
      certPem: readFileSync(path.join(p.adminMsp, 'signcerts', 'cert.pem'), 'utf8'),
      keyPem: readFileSync(path.join(keystore, readdirSync(keystore)[0] as string), 'utf8'),
    },
    cliEnv: {
      ...process.env,
      FABRIC_CFG_PATH: env.fabric.configDir,
      FABRIC_LOGGING_SPEC: 'warn',
      CORE_PEER_LOCALMSPID: p.mspId,
      CORE_PEER_MSPCONFIGPATH: p.adminMsp,
      CORE_PEER_ADDRESS: p.address,
      CORE_PEER_TLS_ENABLED: 'true',
      CORE_PEER_TLS_ROOTCERT_FILE: p.tlsRootCert,
    },
  };
}

/** One chaincode across two orgs: the bot's lifecycle with orgs in parallel, and the peer CLI one step after another. */
export async function deploy(env: EnvDetails, opts: BenchOptions): Promise<BenchResult> {
  const rounds = opts.short ? 1 : 3;
  const orgs = ['org1', 'org2'].map((o) => adminOf(env, o));
  const [o1, o2] = orgs as [ReturnType<typeof adminOf>, ReturnType<typeof adminOf>];
  const channel = env.fabric.channel;
  const o = env.fabric.orderer;
  const ours: number[] = [];
  const cli: number[] = [];
  const work = mkdtempSync(path.join(os.tmpdir(), 'fco-bench-cc-'));
  // Warm-up, not timed: on a network started seconds ago the Gateway may not reach the orderer yet.
  const warm = { channel, name: `warmup${Date.now().toString(36)}`, version: '1.0', sequence: 1 };
  const warmPkg = ccaasPackage(`${warm.name}_1.0`, '127.0.0.1:9999');
  for (let attempt = 0; ; attempt++) {
    try {
      await withGateway(o1.peer, o1.admin, (g) => approveForMyOrg(g, warm, warmPkg.packageId, o1.mspId));
      break;
    } catch (err) {
      if (attempt >= 15) throw err;
      await sleep(2000);
    }
  }
  try {
    for (let r = 0; r < rounds; r++) {
      const name = `benchours${Date.now().toString(36)}`;
      const pkg = ccaasPackage(`${name}_1.0`, '127.0.0.1:9999');
      const def: ChaincodeDefinition = { channel, name, version: '1.0', sequence: 1 };
      const t0 = performance.now();
      await Promise.all(orgs.map((x) => installPackage(x.peer, x.admin, pkg.bytes)));
      await Promise.all(orgs.map((x) => withGateway(x.peer, x.admin, (g) => approveForMyOrg(g, def, pkg.packageId, x.mspId))));
      await withGateway(o1.peer, o1.admin, (g) =>
        commitDefinition(
          g,
          def,
          orgs.map((x) => x.mspId),
        ),
      );
      ours.push(performance.now() - t0);

      const cliName = `benchcli${Date.now().toString(36)}`;
      const cliPkg = ccaasPackage(`${cliName}_1.0`, '127.0.0.1:9999');
      const file = path.join(work, `${cliName}.tar.gz`);
      (await import('node:fs')).writeFileSync(file, cliPkg.bytes);
      const peer = (x: ReturnType<typeof adminOf>, args: string[]) => run(binary('peer'), args, { env: x.cliEnv, timeout: 120_000 });
      const orderer = ['-o', o.address, '--tls', '--cafile', o.tlsRootCert];
      const t1 = performance.now();
      for (const x of orgs) await peer(x, ['lifecycle', 'chaincode', 'install', file]);
      for (const x of orgs)
        await peer(x, [
          'lifecycle',
          'chaincode',
          'approveformyorg',
          '-C',
          channel,
          '-n',
          cliName,
          '-v',
          '1.0',
          '--sequence',
          '1',
          '--package-id',
          cliPkg.packageId,
          ...orderer,
        ]);
      await peer(o1, [
        'lifecycle',
        'chaincode',
        'commit',
        '-C',
        channel,
        '-n',
        cliName,
        '-v',
        '1.0',
        '--sequence',
        '1',
        ...orderer,
        '--peerAddresses',
        o1.peer.address,
        '--tlsRootCertFiles',
        env.fabric.peers[0]?.tlsRootCert ?? '',
        '--peerAddresses',
        o2.peer.address,
        '--tlsRootCertFiles',
        env.fabric.peers[1]?.tlsRootCert ?? '',
      ]);
      cli.push(performance.now() - t1);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const ratio = median(ours) / median(cli);
  return {
    name: 'deploy',
    short: opts.short,
    rows: [
      {
        what: `install on 2 peers, approve for 2 orgs, commit (median of ${rounds})`,
        value: ms(median(ours)),
        baseline: `peer CLI, step by step ${ms(median(cli))}`,
        ratio,
        target: '<= 0.7x',
        met: ratio <= 0.7,
      },
    ],
    notes: ['each approval and the commit wait for their block (the orderer cuts a block after its batch timeout), in both'],
    raw: { ours, cli },
  };
}
