import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Descriptor {
  digest: string;
}

/** The parts of an image configuration the tests look at. */
export interface ImageConfig {
  User?: string;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[];
  ExposedPorts?: Record<string, object>;
  WorkingDir?: string;
}

/** An OCI archive (one image) unpacked into a temporary directory: its config and its files. */
export class UnpackedImage {
  private constructor(
    readonly config: ImageConfig,
    readonly rootfs: string,
    private readonly dir: string,
  ) {}

  static open(archive: string): UnpackedImage {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fco-image-'));
    const layout = path.join(dir, 'layout');
    const rootfs = path.join(dir, 'rootfs');
    execFileSync('mkdir', ['-p', layout, rootfs]);
    execFileSync('tar', ['-xf', archive, '-C', layout]);
    const blob = (d: Descriptor): string => path.join(layout, 'blobs', ...d.digest.split(':'));
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    const [only] = index.manifests;
    if (only === undefined || index.manifests.length !== 1) throw new Error(`${archive}: expected one image`);
    const manifest = JSON.parse(readFileSync(blob(only), 'utf8')) as { config: Descriptor; layers: Descriptor[] };
    const config = (JSON.parse(readFileSync(blob(manifest.config), 'utf8')) as { config: ImageConfig }).config;
    // The images the harness builds delete nothing in upper layers (no whiteouts to apply).
    for (const layer of manifest.layers) execFileSync('tar', ['-xzf', blob(layer), '-C', rootfs]);
    return new UnpackedImage(config, rootfs, dir);
  }

  /** Every path in the image, relative to its root, directories with a trailing slash. */
  files(): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
      for (const name of readdirSync(path.join(this.rootfs, rel)).sort()) {
        const p = path.join(rel, name);
        const stat = lstatSync(path.join(this.rootfs, p));
        out.push(stat.isDirectory() ? `${p}/` : p);
        if (stat.isDirectory()) walk(p);
      }
    };
    walk('');
    return out;
  }

  /** The bytes its regular files hold. */
  bytes(): number {
    return this.files()
      .map((f) => lstatSync(path.join(this.rootfs, f)))
      .reduce((sum, stat) => sum + (stat.isFile() ? stat.size : 0), 0);
  }

  /** Files that are PEM private keys (they start with one), wherever they are. */
  privateKeys(): string[] {
    const head = Buffer.alloc(64);
    return this.files().filter((f) => {
      const full = path.join(this.rootfs, f);
      if (f.endsWith('/') || !lstatSync(full).isFile()) return false;
      const fd = openSync(full, 'r');
      try {
        const n = readSync(fd, head, 0, head.length, 0);
        return /^\s*-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(head.subarray(0, n).toString('latin1'));
      } finally {
        closeSync(fd);
      }
    });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
