import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedRedis, freePort, type EmbeddedRedis } from '../src/runtime/embedded-redis.js';

/** One line of a benchmark's table: a figure, its baseline measured in the same run, and the target. */
export interface Row {
  what: string;
  value: string;
  baseline?: string;
  ratio?: number;
  target?: string;
  /** undefined when the figure is reported, not judged. */
  met?: boolean;
}

export interface BenchResult {
  name: string;
  short: boolean;
  rows: Row[];
  notes?: string[];
  raw?: Record<string, unknown>;
}

export interface BenchOptions {
  short: boolean;
}

export const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};
export const median = (values: number[]): number => percentile(values, 50);

/** The first defined answer of `check`, asked every `everyMs` (errors count as no answer yet), or an error naming `what`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 240_000, everyMs = 100): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, everyMs))) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}
export const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function printResult(r: BenchResult): void {
  const header = ['what', 'value', 'baseline', 'ratio', 'target', 'verdict'];
  const lines = r.rows.map((x) => [
    x.what,
    x.value,
    x.baseline ?? '',
    x.ratio === undefined ? '' : x.ratio.toFixed(2),
    x.target ?? '',
    x.met === undefined ? 'reported' : x.met ? 'met' : 'MISSED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  process.stdout.write(
    `\n== ${r.name}${r.short ? ' (short)' : ''}\n${fmt(header)}\n${fmt(widths.map((w) => '-'.repeat(w)))}\n${lines.map(fmt).join('\n')}\n`,
  );
  for (const n of r.notes ?? []) process.stdout.write(`   note: ${n}\n`);
}

export function saveResult(r: BenchResult): string {
  const dir = path.resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${r.name}${r.short ? '.short' : ''}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ ...r, at: new Date().toISOString(), cpus: os.cpus().length, node: process.version }, null, 2)}\n`,
  );
  return file;
}

/** Resident memory of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

export interface BotProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** The real bot (`node dist/main.js`), as the tests start it. */
export const startBot = (env: Record<string, string>): Promise<BotProcess> => startServer('dist/main.js', env);

/** A Node server script on a free PORT (and OPS_PORT), ready once /healthz answers on the port named by `probe`. */
export async function startServer(script: string, env: Record<string, string>, probe: 'PORT' | 'OPS_PORT' = 'PORT'): Promise<BotProcess> {
  const port = await freePort();
  const opsPort = await freePort();
  let out = '';
  const child = spawn(process.execPath, [path.resolve(script)], {
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), LOG_LEVEL: 'warn', PORT: String(port), OPS_PORT: String(opsPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited: ${out}`);
    if (
      await fetch(`http://127.0.0.1:${probe === 'PORT' ? port : opsPort}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`${script} did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A private redis-server in a temporary directory. */
export async function privateRedis(): Promise<EmbeddedRedis & { cleanup(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fco-bench-redis-'));
  const redis = await startEmbeddedRedis({ dataDir: dir });
  return {
    ...redis,
    async cleanup() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sleep = (msValue: number): Promise<void> => new Promise((r) => setTimeout(r, msValue));
