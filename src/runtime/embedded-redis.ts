import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedRedis {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: whatever the append-only file holds is what survives. */
  kill(): Promise<void>;
}

/** Ports freePort has handed out in this process, so two calls never get the same one. */
const handedOut = new Set<number>();

/**
 * A loopback port nothing listens on now. The kernel may offer a port again as soon as it is
 * closed, so one this process already handed out (say PORT, then OPS_PORT) is never given twice.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await unusedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function redisServerAvailable(bin = 'redis-server'): boolean {
  return spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts a private redis-server on loopback with an append-only file, so queued jobs
 * survive a restart of the bot when it runs on its embedded defaults.
 */
export async function startEmbeddedRedis(
  opts: { dataDir?: string; port?: number; bin?: string; extraArgs?: string[] } = {},
): Promise<EmbeddedRedis> {
  const bin = opts.bin ?? 'redis-server';
  if (!redisServerAvailable(bin)) {
    throw new Error(
      'REDIS_URL is not set and no redis-server is on the PATH: install one (Debian: apt-get install redis-server) or set REDIS_URL.',
    );
  }
  const dataDir = opts.dataDir ?? path.join(os.homedir(), '.local', 'state', 'fabric-chatops', 'redis');
  mkdirSync(dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dataDir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--protected-mode',
      'yes',
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const tryConnect = (): void => {
      if (child.exitCode !== null) {
        reject(new Error(`redis-server exited (${child.exitCode}) before it was ready:\n${output}`));
        return;
      }
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.end();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port} within 10 s:\n${output}`));
        else setTimeout(tryConnect, 50);
      });
    };
    tryConnect();
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    dataDir,
    stop: () => signal(child, 'SIGTERM'),
    kill: () => signal(child, 'SIGKILL'),
  };
}

function signal(child: ChildProcess, sig: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill(sig);
  });
}
