#!/usr/bin/env node
// First thing `npm test` runs: checks the machine has what the suites need and, when it does not,
// fails within a second naming the one command that installs it (rather than four suites failing
// minutes later). .ci/run installs these on Debian before calling `npm test`.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const onPath = (cmd) =>
  (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

const browser = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NODE_PACKAGES = readFileSync(new URL('../test/infra/node/packages.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'))
  .join(' ');
/** What the tests need, and the Debian package that brings it. */
const needs = [
  { what: 'redis-server', ok: onPath('redis-server'), pkg: 'redis-server' },
  { what: 'gcc (Fabric CA is built with cgo)', ok: onPath('gcc'), pkg: 'gcc libc6-dev' },
  { what: 'openssl (the test PKI)', ok: onPath('openssl'), pkg: 'openssl' },
  {
    what: `a Chromium at ${browser} (the console's browser test; or set CHROMIUM_PATH)`,
    ok: existsSync(browser),
    pkg: 'chromium fonts-noto-color-emoji',
  },
  // The real node (test/infra/env/node.ts): its runtime, network and image tools, as root.
  ...['containerd', 'runc', 'ctr', 'umoci', 'buildah', 'ipset', 'iptables', 'conntrack', 'nft'].map((cmd) => ({
    what: `${cmd} (the real node)`,
    ok: onPath(cmd),
    pkg: NODE_PACKAGES,
  })),
  { what: 'CNI plugins in /usr/lib/cni (the real node)', ok: existsSync('/usr/lib/cni/bridge'), pkg: NODE_PACKAGES },
  { what: 'a static busybox at /bin/busybox (the images)', ok: existsSync('/bin/busybox'), pkg: NODE_PACKAGES },
];
const missing = needs.filter((n) => !n.ok);
const problems = missing.map((n) => `  - ${n.what}`);
if (process.getuid?.() !== 0)
  problems.push('  - root: the real node (kubelet, containerd, the bridge and iptables rules of its pods) needs it; run as root in a VM');
if (!onPath('go'))
  problems.push('  - Go 1.26 or newer on the PATH (https://go.dev/dl): the test environment is built from the Go module proxy');

if (problems.length > 0) {
  const pkgs = [...new Set(missing.map((n) => n.pkg))].join(' ');
  process.stderr.write(`npm test cannot run on this machine yet; missing:\n${problems.join('\n')}\n`);
  if (pkgs !== '') process.stderr.write(`Install with:\n  sudo apt-get update && sudo apt-get install -y ${pkgs}\n`);
  process.exit(1);
}
