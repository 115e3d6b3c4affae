import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sh } from './sh.js';

/** Debian's busybox-static: one static binary, every applet a link to it. */
export const BUSYBOX = '/bin/busybox';

/** The non-root account an image runs as (numeric, so runAsNonRoot can check it). */
export interface ImageUser {
  name: string;
  uid: number;
  home: string;
}

export const IMAGE_UID = 10001;

const inRoot = (rootfs: string, p: string): string => path.join(rootfs, p);

/** /etc/passwd and /etc/group: root, nobody and the image's own user when it has one. */
export function writeAccounts(rootfs: string, user?: ImageUser): void {
  const passwd = ['root:x:0:0:root:/root:/bin/sh', 'nobody:x:65534:65534:nobody:/:/bin/false'];
  const group = ['root:x:0:', 'nobody:x:65534:'];
  if (user !== undefined) {
    passwd.push(`${user.name}:x:${user.uid}:${user.uid}:${user.name}:${user.home}:/bin/false`);
    group.push(`${user.name}:x:${user.uid}:`);
    ownedDirs(rootfs, user, [user.home]);
  }
  mkdirSync(inRoot(rootfs, 'etc'), { recursive: true });
  writeFileSync(inRoot(rootfs, 'etc/passwd'), `${passwd.join('\n')}\n`);
  writeFileSync(inRoot(rootfs, 'etc/group'), `${group.join('\n')}\n`);
}

/** Directories the image's user writes to (data, state). */
export function ownedDirs(rootfs: string, user: ImageUser, dirs: string[]): void {
  for (const dir of dirs) {
    mkdirSync(inRoot(rootfs, dir), { recursive: true });
    chownSync(inRoot(rootfs, dir), user.uid, user.uid);
  }
}

/** Links for busybox's applets in /bin (the recipe copies busybox itself), /tmp, /root, accounts. */
export function busyboxRootfs(rootfs: string): void {
  for (const dir of ['bin', 'etc', 'tmp', 'root']) mkdirSync(inRoot(rootfs, dir), { recursive: true });
  chmodSync(inRoot(rootfs, 'tmp'), 0o1777);
  for (const applet of sh(BUSYBOX, ['--list'])
    .split('\n')
    .filter((a) => a !== '' && a !== 'busybox')) {
    symlinkSync('busybox', inRoot(rootfs, `bin/${applet}`));
  }
  writeAccounts(rootfs);
}

/** The shared libraries and the loader a dynamically linked binary needs, as ldd lists them here. */
export function sharedLibraries(binary: string): string[] {
  return sh('ldd', [binary])
    .split('\n')
    .flatMap((line) => /(\/\S+) \(0x/.exec(line)?.[1] ?? []);
}

/**
 * A glibc program's run-time needs, copied from this Debian host at the paths ldd names (the
 * loader finds them there without an ld.so.cache), and name service lookups from files and DNS.
 */
export function glibcRootfs(rootfs: string, binaries: string[]): void {
  for (const lib of new Set(binaries.flatMap(sharedLibraries))) {
    mkdirSync(path.dirname(inRoot(rootfs, lib)), { recursive: true });
    copyFileSync(lib, inRoot(rootfs, lib));
  }
  writeFileSync(inRoot(rootfs, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
}

/** Copies a directory into the image as it is, leaving out the paths `skip` matches. */
export function copyTree(from: string, rootfs: string, to: string, skip: (src: string) => boolean = () => false): void {
  cpSync(from, inRoot(rootfs, to), { recursive: true, verbatimSymlinks: true, filter: (src) => !skip(src) });
}
