import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { infraDir } from '../binaries.js';
import { dependencyClosure } from './npm-closure.js';
import { BUSYBOX, busyboxRootfs, copyTree, glibcRootfs, IMAGE_UID, type ImageUser, sharedLibraries, writeAccounts } from './rootfs.js';
import type { ImageRecipe } from './umoci.js';

const repoRoot = path.dirname(path.dirname(infraDir));
/** The project's Node: the binary the npm package `node` installs (a devDependency). */
const NODE = path.join(repoRoot, 'node_modules', 'node', 'bin', 'node');
const nodeVersion = (): string =>
  (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', 'node', 'package.json'), 'utf8')) as { version: string }).version;

const packageVersion = (name: string): string =>
  (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** Node with the libraries it is linked against, busybox (sh, and env for npm's #!), accounts. */
function nodeRuntime(rootfs: string, user?: ImageUser): void {
  busyboxRootfs(rootfs);
  writeAccounts(rootfs, user);
  glibcRootfs(rootfs, [NODE]);
  mkdirSync(path.join(rootfs, 'usr', 'bin'), { recursive: true });
  symlinkSync('../../bin/busybox', path.join(rootfs, 'usr', 'bin', 'env'));
}

const runtimeFiles = (): [string, string][] => [
  [BUSYBOX, 'bin/busybox'],
  [NODE, 'usr/local/bin/node'],
];

/** The npm this machine runs (the package behind `npm` on the PATH), for builds that run `npm ci`. */
function hostNpm(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const cli = path.join(dir, 'npm');
    // bin/npm links to the package's bin/npm-cli.js.
    if (existsSync(cli)) return path.dirname(path.dirname(realpathSync(cli)));
  }
  throw new Error('no npm on the PATH');
}

/**
 * The base image the harness builds the bot's Dockerfile FROM: the project's Node and the host's
 * npm where Node's own images have them (/usr/local), and a shell. Runs as root, as those do.
 */
export function nodeBaseRecipe(): ImageRecipe {
  const npm = hostNpm();
  return {
    ref: `fabric-chatops.local/node:${nodeVersion()}`,
    files: runtimeFiles(),
    entrypoint: [],
    cmd: ['node'],
    inputs: [...sharedLibraries(NODE), npm],
    recipes: ['node-images.ts'],
    fillRootfs: (rootfs) => {
      nodeRuntime(rootfs);
      copyTree(npm, rootfs, 'usr/local/lib/node_modules/npm');
      mkdirSync(path.join(rootfs, 'usr', 'local', 'bin'), { recursive: true });
      for (const cli of ['npm', 'npx'])
        symlinkSync(`../lib/node_modules/npm/bin/${cli}-cli.js`, path.join(rootfs, 'usr', 'local', 'bin', cli));
    },
  };
}

/** Within installed packages: their .bin links and their own tests (not packages named test). */
function notNeeded(src: string): boolean {
  const name = path.basename(src);
  const parent = path.basename(path.dirname(src));
  const isPackage =
    parent === 'node_modules' || (parent.startsWith('@') && path.basename(path.dirname(path.dirname(src))) === 'node_modules');
  return name === '.bin' || (['test', 'tests', '__tests__'].includes(name) && !isPackage);
}

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'chaincode', 'basic');
const CHAINCODE_DIR = '/chaincode';

/**
 * The CCaaS chaincode fixture: its server, the packages fabric-shim needs as the project installed
 * them, and Node. Listens where CHAINCODE_SERVER_ADDRESS says (all addresses by default).
 */
export function chaincodeRecipe(): ImageRecipe {
  const packages = dependencyClosure(repoRoot, 'fabric-shim');
  return {
    ref: `fabric-chatops.local/chaincode-basic:${packageVersion('fabric-shim')}`,
    files: runtimeFiles(),
    entrypoint: [],
    cmd: ['node', 'server.js'],
    env: ['CHAINCODE_SERVER_ADDRESS=0.0.0.0:9999'],
    user: `${IMAGE_UID}:${IMAGE_UID}`,
    workdir: CHAINCODE_DIR,
    inputs: [...sharedLibraries(NODE), path.join(FIXTURE, 'server.js'), ...packages.map((p) => path.join(repoRoot, p))],
    recipes: ['node-images.ts', 'npm-closure.ts'],
    fillRootfs: (rootfs) => {
      nodeRuntime(rootfs, { name: 'chaincode', uid: IMAGE_UID, home: '/home/chaincode' });
      const dir = path.join(rootfs, CHAINCODE_DIR);
      mkdirSync(dir, { recursive: true });
      copyFileSync(path.join(FIXTURE, 'server.js'), path.join(dir, 'server.js'));
      // server.js is an ES module: in the repository the root package.json says so.
      writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'chaincode-basic', private: true, type: 'module' })}\n`);
      for (const p of packages) copyTree(path.join(repoRoot, p), rootfs, path.join(CHAINCODE_DIR, p), notNeeded);
    },
  };
}

/**
 * Redis for manifests/base (in place of redis:7.2): Debian's redis-server and redis-cli (the
 * readiness probe) with their libraries, run as 999 like the official image, in /data.
 */
export function redisRecipe(): ImageRecipe {
  const server = realpathSync('/usr/bin/redis-server');
  const cli = '/usr/bin/redis-cli';
  const user: ImageUser = { name: 'redis', uid: 999, home: '/data' };
  const version = /v=(\S+)/.exec(execFileSync(server, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return {
    ref: `fabric-chatops.local/redis:${version}`,
    files: [
      [BUSYBOX, 'bin/busybox'],
      [server, 'usr/local/bin/redis-server'],
      [cli, 'usr/local/bin/redis-cli'],
    ],
    entrypoint: ['redis-server'],
    user: `${user.uid}:${user.uid}`,
    workdir: user.home,
    inputs: [server, cli, ...sharedLibraries(server), ...sharedLibraries(cli)],
    recipes: ['node-images.ts'],
    fillRootfs: (rootfs) => {
      busyboxRootfs(rootfs);
      writeAccounts(rootfs, user);
      glibcRootfs(rootfs, [server, cli]);
    },
  };
}
