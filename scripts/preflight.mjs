#!/usr/bin/env node
// First thing `npm test` runs: checks the machine has what the suites need and, when it does not,
// fails within a second naming the one command that installs it (rather than four suites failing
// minutes later). .ci/run installs these on Debian before calling `npm test`.
import { accessSync, constants, existsSync } from 'node:fs';
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
];
const missing = needs.filter((n) => !n.ok);
const problems = missing.map((n) => `  - ${n.what}`);
if (!onPath('go'))
  problems.push('  - Go 1.26 or newer on the PATH (https://go.dev/dl): the test environment is built from the Go module proxy');

if (problems.length > 0) {
  const pkgs = missing.map((n) => n.pkg).join(' ');
  process.stderr.write(`npm test cannot run on this machine yet; missing:\n${problems.join('\n')}\n`);
  if (pkgs !== '') process.stderr.write(`Install with:\n  sudo apt-get update && sudo apt-get install -y ${pkgs}\n`);
  process.exit(1);
}
