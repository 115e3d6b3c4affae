import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { startEnvironment, type EnvDetails, type Environment } from '../infra/env/environment.js';
import { buildNodeImages, NODE_IMAGES, type BuiltImage, type NodeImage } from '../infra/env/real-node/images.js';
import { UnpackedImage } from './oci-archive.js';
import { apply, eventually, kubectl, nonRootPod, type RealNode, type TestContainer } from './support.js';

const NS = 'images-test';
let env: Environment;
let details: EnvDetails;
let node: RealNode;
let built: BuiltImage[];

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const image = (name: NodeImage): BuiltImage => {
  const found = built.find((b) => b.name === name);
  if (found === undefined) throw new Error(`${name} was not built`);
  return found;
};
const tag = (name: NodeImage): string => image(name).ref.slice(image(name).ref.lastIndexOf(':') + 1);

beforeAll(async () => {
  // Built (or found in the cache) before the environment starts, so each build's time shows.
  built = await buildNodeImages(NODE_IMAGES);
  for (const b of built) {
    const how = b.built ? 'built' : 'from the cache';
    process.stdout.write(`${b.ref}: ${mb(statSync(b.file).size)} archive, ${how} in ${(b.ms / 1000).toFixed(1)} s\n`);
  }
  env = await startEnvironment({ realNode: true, nodeImages: NODE_IMAGES.filter((n) => n !== 'node') });
  details = env.details;
  if (details.realNode === undefined) throw new Error('the environment has no real node');
  node = details.realNode;
  const imported = ((node.startTimings['images imported'] ?? 0) / 1000).toFixed(1);
  process.stdout.write(`environment up in ${(env.startedInMs / 1000).toFixed(1)} s; images imported into containerd in ${imported} s\n`);
  await kubectl(details, ['create', 'namespace', NS]);
}, 1_800_000);

afterAll(async () => {
  await env?.stop();
}, 120_000);

/** Runs a pod to its end; its containers' logs by name. Fails with the pod's status when a container failed. */
async function runToEnd(name: string, containers: TestContainer[]): Promise<Record<string, string>> {
  await apply(details, nonRootPod(node, NS, name, containers));
  const phase = await eventually(
    `pod ${name} to finish`,
    async () => {
      const p = await kubectl(details, ['get', 'pod', '-n', NS, name, '-o', 'jsonpath={.status.phase}']);
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    },
    90_000,
  );
  const logs: Record<string, string> = {};
  for (const c of containers) logs[c.name] = await kubectl(details, ['logs', '-n', NS, name, '-c', c.name]);
  if (phase !== 'Succeeded') {
    const status = await kubectl(details, ['get', 'pod', '-n', NS, name, '-o', 'jsonpath={.status.containerStatuses}']);
    throw new Error(`pod ${name} failed: ${status}\n${JSON.stringify(logs, null, 2)}`);
  }
  return logs;
}

async function startAndWaitReady(name: string, containers: TestContainer[]): Promise<void> {
  await apply(details, nonRootPod(node, NS, name, containers));
  await kubectl(details, ['wait', '-n', NS, '--for=condition=Ready', `pod/${name}`, '--timeout=90s']);
}

const exec = (pod: string, command: string[]): Promise<string> => kubectl(details, ['exec', '-n', NS, pod, '--', ...command]);

describe('on the real node, each image runs as its own non-root user', () => {
  it('fabric-peer: peer version names the version built; core.yaml and the CCaaS builder are where Fabric looks', async () => {
    const detect = [
      'mkdir -p /tmp/pkg/meta',
      `echo '{"type":"ccaas","label":"basic"}' > /tmp/pkg/meta/metadata.json`,
      '/opt/hyperledger/ccaas_builder/bin/detect /tmp/pkg /tmp/pkg/meta',
      'echo "ccaas builder: detected"',
    ];
    const script = ['id', 'ls "$FABRIC_CFG_PATH"', 'peer version', ...detect].join(' && ');
    const { main } = await runToEnd('peer', [{ name: 'main', image: image('fabric-peer').ref, command: ['sh', '-c', script] }]);
    expect(main).toContain('uid=10001(fabric) gid=10001(fabric)');
    expect(main).toContain('core.yaml');
    expect(main).toMatch(new RegExp(`^peer:\\n Version: ${tag('fabric-peer')}$`, 'm'));
    expect(main).toContain('ccaas builder: detected');
  });

  it('fabric-orderer: orderer version names the version built', async () => {
    const { main } = await runToEnd('orderer', [
      { name: 'main', image: image('fabric-orderer').ref, command: ['sh', '-c', 'id && exec orderer version'] },
    ]);
    expect(main).toContain('uid=10001(fabric) gid=10001(fabric)');
    expect(main).toMatch(new RegExp(`^orderer:\\n Version: ${tag('fabric-orderer')}$`, 'm'));
  });

  it('fabric-ca: fabric-ca-server version, and the server starts (its sqlite database in its home) and answers /cainfo', async () => {
    const version = await runToEnd('ca-version', [
      { name: 'main', image: image('fabric-ca').ref, command: ['fabric-ca-server', 'version'] },
    ]);
    expect(version.main).toMatch(new RegExp(`Version: ${tag('fabric-ca').replace(/^v/, '')}\\b`));
    const password = randomBytes(8).toString('hex');
    await startAndWaitReady('ca', [
      {
        name: 'main',
        image: image('fabric-ca').ref,
        args: ['fabric-ca-server', 'start', '-b', `admin:${password}`],
        readinessProbe: { httpGet: { path: '/cainfo', port: 7054 }, periodSeconds: 1 },
      },
    ]);
    const info = JSON.parse(await exec('ca', ['wget', '-qO-', 'http://127.0.0.1:7054/cainfo'])) as { success: boolean };
    expect(info.success).toBe(true);
    expect(await exec('ca', ['sh', '-c', 'id -u && ls -n "$FABRIC_CA_HOME"'])).toMatch(
      /^10001\n[\s\S]*10001\s+10001\s+\d+ .* fabric-ca-server\.db$/m,
    );
  });

  it('chaincode-basic: the fixture starts its CCaaS server on the project Node and is Ready on its port', async () => {
    await startAndWaitReady('chaincode', [
      {
        name: 'main',
        image: image('chaincode-basic').ref,
        env: [{ name: 'CHAINCODE_ID', value: 'basic_1.0:0123abcd' }],
        readinessProbe: { tcpSocket: { port: 9999 }, periodSeconds: 1 },
      },
    ]);
    expect(await kubectl(details, ['logs', '-n', NS, 'chaincode'])).toContain('chaincode basic_1.0:0123abcd listening on 0.0.0.0:9999');
    expect((await exec('chaincode', ['node', '--version'])).trim()).toBe(process.version);
    expect(await exec('chaincode', ['id'])).toMatch(/^uid=10001\(chaincode\) gid=10001\(chaincode\)/);
  });

  it('fabric-chatops (the Dockerfile): node dist/main.js --check-config passes on the bundled example config', async () => {
    const ref = image('fabric-chatops').ref;
    const logs = await runToEnd('bot', [
      { name: 'check', image: ref, args: ['--check-config'] },
      { name: 'whoami', image: ref, command: ['node', '-e', "console.log(process.version, process.getuid() + ':' + process.getgid())"] },
    ]);
    expect(logs.check).toMatch(/^\/app\/config\/example\.yaml: ok \(\d+ networks?, \d+ members?\)$/m);
    // The group too: a numeric USER without an /etc/passwd entry would run with group 0 under Kubernetes.
    expect(logs.whoami?.trim()).toBe(`${process.version} 10001:10001`);
  });
});

/** Packages package-lock.json marks dev-only: none of them belongs in the bot's image. */
function devOnlyPackages(): string[] {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([key, p]) => key.startsWith('node_modules/') && p.dev === true)
    .map(([key]) => key);
}

describe('the images hold what they need, and no secrets, tests or development files', () => {
  const unpacked = (name: NodeImage): UnpackedImage => {
    const img = UnpackedImage.open(image(name).file);
    const sizes = `${mb(img.bytes())} unpacked, ${mb(statSync(image(name).file).size)} archive`;
    process.stdout.write(`${image(name).ref}: ${img.files().length} files, ${sizes}\n`);
    return img;
  };

  it.each(NODE_IMAGES)(
    '%s: no private key, .env, .git or repository tests',
    (name) => {
      const img = unpacked(name);
      try {
        const files = img.files();
        expect(img.privateKeys()).toEqual([]);
        expect(files.filter((f) => /(^|\/)(\.env|\.git\/|\.npmrc)$/.test(f) || f.startsWith('app/test/'))).toEqual([]);
        // Installed packages' own tests (a package named test would be kept).
        const packageTests = files.filter(
          (f) => /^(app|chaincode)\/node_modules\/.*\/(test|tests|__tests__)\/$/.test(f) && !/node_modules\/(@[^/]+\/)?[^/]+\/$/.test(f),
        );
        expect(packageTests).toEqual([]);
        // Redis runs as 999, the user of the image manifests/base names (redis:7.2).
        if (name !== 'node') expect(img.config.User).toBe(name === 'redis' ? '999:999' : '10001:10001');
      } finally {
        img.close();
      }
    },
    120_000,
  );

  it('fabric-chatops: dist, production node_modules and the example config; no sources, tests or devDependencies', () => {
    const img = unpacked('fabric-chatops');
    try {
      const files = new Set(img.files());
      expect(img.config).toMatchObject({
        User: '10001:10001',
        Entrypoint: ['node', 'dist/main.js'],
        ExposedPorts: { '3000/tcp': {}, '9090/tcp': {} },
        WorkingDir: '/app',
      });
      for (const needed of [
        'app/dist/main.js',
        'app/config/example.yaml',
        'app/node_modules/@slack/bolt/',
        'app/packages/slack-emulator/dist/index.js',
      ]) {
        expect(files).toContain(needed);
      }
      expect([...files].filter((f) => /^app\/[^/]+\/?$/.test(f)).sort()).toEqual([
        'app/config/',
        'app/dist/',
        'app/node_modules/',
        'app/package.json',
        'app/packages/',
      ]);
      const dev = devOnlyPackages();
      expect(dev).toContain('node_modules/jest');
      expect(dev.filter((p) => files.has(`app/${p}/`))).toEqual([]);
    } finally {
      img.close();
    }
  }, 120_000);
});
