import { createHash, type Hash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import path from 'node:path';
import { cacheDir, infraDir } from '../binaries.js';

/** Image archives live beside the binaries, one file per image, named by a hash of its inputs. */
export const imagesDir = (): string => path.join(cacheDir(), 'images');

/** A hash of an image's inputs: strings, and files or whole trees by path, mode and content. */
export class InputHash {
  private readonly hash: Hash = createHash('sha256');

  text(...parts: string[]): this {
    for (const part of parts) this.hash.update(`${part.length}:${part}`);
    return this;
  }

  /** A file or directory (recursively, in a stable order); symbolic links by their target. */
  path(p: string, skip: (name: string) => boolean = () => false): this {
    const stat = lstatSync(p);
    if (stat.isSymbolicLink()) return this.text('link', readlinkSync(p));
    if (stat.isDirectory()) {
      const names = readdirSync(p)
        .filter((n) => !skip(n))
        .sort();
      for (const name of names) this.text('entry', name).path(path.join(p, name), skip);
      return this;
    }
    this.text('file', String(stat.mode & 0o777));
    this.hash.update(readFileSync(p));
    return this;
  }

  /** The harness's own recipe modules: a change to how an image is made rebuilds it. */
  recipes(...modules: string[]): this {
    for (const m of modules) this.text(m).path(path.join(infraDir, 'env', 'real-node', m));
    return this;
  }

  hex(length = 16): string {
    return this.hash.copy().digest('hex').slice(0, length);
  }
}

const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** What builds killed midway left (their partial archives and work directories). */
function removeAbandoned(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = /\.(\d+)\.partial/.exec(name)?.[1];
    if (pid !== undefined && !running(Number(pid))) rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * The archive at `file`, built first when it is not there. The build writes a partial file of
 * this process's own and renames it into place, so a build that fails or is killed never leaves
 * a half-written archive under the final name (and two builds at once do not mix their bytes).
 */
export async function cachedArchive(file: string, build: (partial: string) => Promise<void>): Promise<{ file: string; built: boolean }> {
  if (existsSync(file)) {
    // Marks it used, for keepNewest.
    utimesSync(file, new Date(), new Date());
    return { file, built: false };
  }
  mkdirSync(path.dirname(file), { recursive: true });
  removeAbandoned(path.dirname(file));
  const partial = `${file}.${process.pid}.partial`;
  try {
    await build(partial);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
  keepNewest(file, KEEP);
  return { file, built: true };
}

/** Archives kept per image: a few, for checkouts at different commits sharing the cache. */
const KEEP = 3;

/** Removes all but the `keep` most recently used archives of the image `file` is one of (name-<hash>.tar). */
function keepNewest(file: string, keep: number): void {
  const image = /^(.*)-[0-9a-f]+\.tar$/.exec(path.basename(file))?.[1];
  if (image === undefined) return;
  const dir = path.dirname(file);
  const versions = readdirSync(dir)
    .filter((n) => n.startsWith(`${image}-`) && /^[0-9a-f]+\.tar$/.test(n.slice(image.length + 1)))
    .map((n) => ({ path: path.join(dir, n), mtime: statSync(path.join(dir, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of versions.slice(keep)) rmSync(old.path, { force: true });
}
