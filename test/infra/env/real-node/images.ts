import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { binary, cacheDir } from '../binaries.js';
import { IMAGES } from './layout.js';
import { sh } from './sh.js';

/** Debian's busybox-static: one static binary, every applet a link to it. */
const BUSYBOX = '/bin/busybox';

interface ImageRecipe {
  /** Full reference, e.g. fabric-chatops.local/busybox:1.35. */
  ref: string;
  /** Files (host path → path in the image) and the image's command. */
  files: [string, string][];
  entrypoint: string[];
  fillRootfs?: (rootfs: string) => void;
}

function busyboxRootfs(rootfs: string): void {
  for (const dir of ['bin', 'etc', 'tmp', 'root']) mkdirSync(path.join(rootfs, dir), { recursive: true });
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  for (const applet of sh(BUSYBOX, ['--list'])
    .split('\n')
    .filter((a) => a !== '' && a !== 'busybox')) {
    symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  }
  writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\n');
}

const recipes = (): ImageRecipe[] => [
  { ref: IMAGES.pause, files: [[binary('pause'), 'pause']], entrypoint: ['/pause'] },
  { ref: IMAGES.busybox, files: [[BUSYBOX, 'bin/busybox']], entrypoint: ['/bin/sh'], fillRootfs: busyboxRootfs },
];

/** An OCI image archive assembled with umoci from files on this machine (no registry). */
function buildArchive(recipe: ImageRecipe, out: string): void {
  const [, tag] = splitRef(recipe.ref);
  const work = mkdtempSync(`${out}.work-`);
  try {
    const layout = path.join(work, 'layout');
    const bundle = path.join(work, 'bundle');
    sh('umoci', ['init', '--layout', layout]);
    sh('umoci', ['new', '--image', `${layout}:${tag}`]);
    sh('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
    const rootfs = path.join(bundle, 'rootfs');
    recipe.fillRootfs?.(rootfs);
    for (const [from, to] of recipe.files) {
      mkdirSync(path.dirname(path.join(rootfs, to)), { recursive: true });
      copyFileSync(from, path.join(rootfs, to));
      chmodSync(path.join(rootfs, to), 0o755);
    }
    sh('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
    const config = ['--config.env', 'PATH=/bin:/usr/bin:/sbin:/usr/sbin', '--config.workingdir', '/'];
    sh('umoci', ['config', '--image', `${layout}:${tag}`, ...config, ...recipe.entrypoint.flatMap((e) => ['--config.entrypoint', e])]);
    sh('umoci', ['gc', '--layout', layout]);
    sh('tar', ['-cf', `${out}.partial`, '-C', layout, '.']);
    renameSync(`${out}.partial`, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function splitRef(ref: string): [string, string] {
  const colon = ref.lastIndexOf(':');
  return [ref.slice(0, colon), ref.slice(colon + 1)];
}

/** Archives are cached beside the binaries, keyed by what goes into them. */
function archiveFor(recipe: ImageRecipe): string {
  const hash = createHash('sha256').update(JSON.stringify([recipe.ref, recipe.entrypoint, recipe.files.map(([, to]) => to)]));
  for (const [from] of recipe.files) hash.update(readFileSync(from));
  const dir = path.join(cacheDir(), 'node-images');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `${splitRef(recipe.ref)[0].split('/').at(-1) ?? 'image'}-${hash.digest('hex').slice(0, 16)}.tar`);
  if (!existsSync(out)) buildArchive(recipe, out);
  return out;
}

/** Imports the pause and busybox images into containerd's CRI namespace. */
export function importImages(containerdSocket: string): void {
  for (const recipe of recipes()) {
    const [name] = splitRef(recipe.ref);
    sh('ctr', ['--address', containerdSocket, '--namespace', 'k8s.io', 'images', 'import', '--base-name', name, archiveFor(recipe)]);
  }
}
