import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { cacheDir, infraDir } from '../binaries.js';
import { cachedArchive, imagesDir, InputHash } from './image-cache.js';
import { sh, shAsync } from './sh.js';
import { splitRef } from './umoci.js';

const repoRoot = path.dirname(path.dirname(infraDir));
const NAME = 'fabric-chatops.local/fabric-chatops';

/**
 * What the build reads from the repository: .dockerignore is an allow-list (`*`, then `!path`
 * lines), so its `!` lines name the whole build context.
 */
function contextPaths(): string[] {
  const rules = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (rules[0] !== '*' || rules.slice(1).some((r) => !r.startsWith('!'))) {
    throw new Error('.dockerignore must be an allow-list (`*`, then `!path` lines): the harness hashes the build context from it');
  }
  return rules.slice(1).map((r) => r.slice(1));
}

const onPath = (command: string): boolean =>
  (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, command)));

/** buildah with its storage under the cache (not the machine's default storage), rootful. */
function buildah(args: string[], timeoutMs = 60_000): Promise<string> {
  const dir = path.join(cacheDir(), 'buildah');
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const global = ['--root', path.join(dir, 'storage'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'overlay'];
  // TMPDIR: buildah's temporary files and RUN --mount=type=cache directories.
  return shAsync('buildah', [...global, ...args], { timeoutMs, env: { TMPDIR: path.join(dir, 'tmp') } });
}

/**
 * The CAs npm trusts here: its cafile when it has one, else Node's own roots plus
 * NODE_EXTRA_CA_CERTS (how a TLS-inspecting proxy's CA usually reaches it); undefined: the roots.
 */
function npmCaFile(work: string, cafile: string): string | undefined {
  if (cafile !== 'null' && cafile !== '') return cafile;
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra === undefined || extra === '') return undefined;
  const bundle = path.join(work, 'ca.pem');
  writeFileSync(bundle, [...tls.rootCertificates, readFileSync(extra, 'utf8')].join('\n'));
  return bundle;
}

/**
 * `npm ci` inside the build reaches the registry as this machine's npm does: the same registry
 * and CAs, in an npmrc mounted into the build's RUN steps only (the final stage has none), so
 * the image never holds them.
 */
function npmMounts(work: string): string[] {
  const get = (key: string): string => sh('npm', ['config', 'get', key]).trim();
  const npmrc = [`registry=${get('registry')}`, 'update-notifier=false'];
  const mounts: string[] = [];
  const ca = npmCaFile(work, get('cafile'));
  if (ca !== undefined) {
    npmrc.push('cafile=/usr/local/etc/npm-build-ca.pem');
    mounts.push('--volume', `${ca}:/usr/local/etc/npm-build-ca.pem:ro`);
  }
  writeFileSync(path.join(work, 'npmrc'), `${npmrc.join('\n')}\n`);
  // npm's global configuration, $PREFIX/etc/npmrc, for a node in /usr/local/bin (as in Node's images).
  return [...mounts, '--volume', `${path.join(work, 'npmrc')}:/usr/local/etc/npmrc:ro`];
}

/**
 * The bot's image, built from the repository's Dockerfile with buildah FROM the harness's own
 * base image (`base`: its reference and OCI archive), exported as an OCI archive. Cached by the
 * Dockerfile, the build context and the base image.
 */
export async function botArchive(base: { ref: string; file: string }): Promise<{ ref: string; file: string; built: boolean }> {
  const hash = new InputHash().recipes('bot-image.ts').text(base.ref, path.basename(base.file));
  for (const p of ['Dockerfile', '.dockerignore', ...contextPaths()]) hash.text(p).path(path.join(repoRoot, p));
  const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const ref = `${NAME}:${version}-${hash.hex(12)}`;
  const out = path.join(imagesDir(), `fabric-chatops-${hash.hex()}.tar`);
  const archive = await cachedArchive(out, async (partial) => {
    if (!onPath('buildah')) throw new Error('buildah is not installed: apt-get install buildah (test/infra/node/packages.txt)');
    const work = mkdtempSync(`${partial}.work-`);
    try {
      const id = (await buildah(['pull', '--quiet', `oci-archive:${base.file}`], 300_000)).trim();
      await buildah(['tag', id, base.ref]);
      // The name buildah gave it from the archive's tag alone.
      await buildah(['rmi', `localhost/${splitRef(base.ref)[1]}`]).catch(() => undefined);
      await buildah(
        [
          'bud',
          '--isolation',
          'chroot',
          '--pull-never',
          '--build-arg',
          `BASE_IMAGE=${base.ref}`,
          ...npmMounts(work),
          '--tag',
          ref,
          '--file',
          path.join(repoRoot, 'Dockerfile'),
          repoRoot,
        ],
        1_800_000,
      );
      await buildah(['push', '--quiet', ref, `oci-archive:${partial}:${splitRef(ref)[1]}`], 300_000);
    } finally {
      await buildah(['rmi', ref]).catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
    }
  });
  return { ref, ...archive };
}
