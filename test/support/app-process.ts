import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import { freePort } from '../../src/runtime/embedded-redis.js';

export interface AppProcess {
  port: number;
  /** Where Slack's requests go (PORT): /slack/events and /healthz. */
  url: string;
  /** The ops port (OPS_PORT): /healthz, /readyz, /metrics. */
  opsUrl: string;
  /** Everything the process printed (pino JSON lines). */
  output(): string;
  /** Graceful stop (SIGTERM), waiting for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to clean up. */
  kill(): Promise<void>;
  child: ChildProcess;
}

const MAIN = path.resolve('dist/main.js');

/**
 * Runs the real bot and/or worker (`node dist/main.js`) with the given environment. Ports it
 * chooses itself were free a moment before; another test process may take one first, so a start
 * refused with EADDRINUSE is tried again on other ports.
 */
export async function startApp(env: Record<string, string>, opts: { readyTimeoutMs?: number } = {}): Promise<AppProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = env.PORT !== undefined ? Number(env.PORT) : await freePort();
    const opsPort = env.OPS_PORT !== undefined ? Number(env.OPS_PORT) : await freePort();
    try {
      return await startAppOn(env, port, opsPort, opts);
    } catch (err) {
      const portsOurs = env.PORT === undefined || env.OPS_PORT === undefined;
      if (!(err instanceof PortTakenError) || !portsOurs || attempt >= 3) throw err;
    }
  }
}

class PortTakenError extends Error {}

async function startAppOn(
  env: Record<string, string>,
  port: number,
  opsPort: number,
  opts: { readyTimeoutMs?: number },
): Promise<AppProcess> {
  let out = '';
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), LOG_LEVEL: 'info', PORT: String(port), OPS_PORT: String(opsPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const opsUrl = `http://127.0.0.1:${opsPort}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null) {
      const message = `app exited with ${child.exitCode} before it was ready:\n${out}`;
      throw out.includes('EADDRINUSE') ? new PortTakenError(message) : new Error(message);
    }
    try {
      const res = await fetch(`${opsUrl}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`app did not answer /healthz within the timeout:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    url,
    opsUrl,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls until the predicate returns a value, or fails with the label. */
export async function eventually<T>(
  label: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
