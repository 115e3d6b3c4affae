import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cachedArchive, imagesDir, InputHash } from './image-cache.js';
import { shAsync } from './sh.js';

/** An image assembled from files on this machine, packed with umoci (no registry, no daemon). */
export interface ImageRecipe {
  /** Full reference, e.g. fabric-chatops.local/busybox:1.35. */
  ref: string;
  /** Executables (host path → path in the image), copied with mode 0755. */
  files: [string, string][];
  entrypoint: string[];
  cmd?: string[];
  /** NAME=value; PATH has a default. */
  env?: string[];
  /** uid:gid the container runs as (root when absent). */
  user?: string;
  workdir?: string;
  fillRootfs?: (rootfs: string) => void;
  /** Files or trees on this machine that fillRootfs copies: part of the cache key. */
  inputs?: string[];
  /** The modules in real-node/ that make this recipe: a change there rebuilds the image. */
  recipes?: string[];
}

const DEFAULT_PATH = 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';

export function splitRef(ref: string): [string, string] {
  const colon = ref.lastIndexOf(':');
  return [ref.slice(0, colon), ref.slice(colon + 1)];
}

function configFlags(recipe: ImageRecipe): string[] {
  const env = [DEFAULT_PATH, ...(recipe.env ?? [])];
  return [
    ...env.flatMap((e) => ['--config.env', e]),
    ...['--config.workingdir', recipe.workdir ?? '/'],
    ...(recipe.user === undefined ? [] : ['--config.user', recipe.user]),
    ...recipe.entrypoint.flatMap((e) => ['--config.entrypoint', e]),
    ...(recipe.cmd ?? []).flatMap((c) => ['--config.cmd', c]),
  ];
}

async function buildArchive(recipe: ImageRecipe, out: string): Promise<void> {
  const [, tag] = splitRef(recipe.ref);
  const work = mkdtempSync(`${out}.work-`);
  try {
    const layout = path.join(work, 'layout');
    const image = `${layout}:${tag}`;
    const bundle = path.join(work, 'bundle');
    await shAsync('umoci', ['init', '--layout', layout]);
    await shAsync('umoci', ['new', '--image', image]);
    await shAsync('umoci', ['unpack', '--image', image, bundle]);
    const rootfs = path.join(bundle, 'rootfs');
    recipe.fillRootfs?.(rootfs);
    for (const [from, to] of recipe.files) {
      mkdirSync(path.dirname(path.join(rootfs, to)), { recursive: true });
      copyFileSync(from, path.join(rootfs, to));
      chmodSync(path.join(rootfs, to), 0o755);
    }
    await shAsync('umoci', ['repack', '--image', image, bundle], { timeoutMs: 600_000 });
    await shAsync('umoci', ['config', '--image', image, ...configFlags(recipe)]);
    await shAsync('umoci', ['gc', '--layout', layout]);
    await shAsync('tar', ['-cf', out, '-C', layout, '.'], { timeoutMs: 300_000 });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The recipe's OCI archive from the cache, built when its inputs changed. */
export async function recipeArchive(recipe: ImageRecipe): Promise<{ file: string; built: boolean }> {
  const { fillRootfs: _code, files, inputs = [], recipes = [], ...config } = recipe;
  const hash = new InputHash().text(JSON.stringify({ ...config, files: files.map(([, to]) => to), inputs }));
  hash.recipes('umoci.ts', 'rootfs.ts', ...recipes);
  for (const p of [...files.map(([from]) => from), ...inputs]) hash.path(p);
  const name = splitRef(recipe.ref)[0].split('/').at(-1) ?? 'image';
  return cachedArchive(path.join(imagesDir(), `${name}-${hash.hex()}.tar`), (partial) => buildArchive(recipe, partial));
}
