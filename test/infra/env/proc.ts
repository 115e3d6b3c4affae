import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A native server process with its output in a log file, so a failure can show its tail. */
export class ManagedProcess {
  private constructor(
    readonly name: string,
    readonly logFile: string,
    private child: ChildProcess,
    /** Loopback ports named in its arguments and environment: the ones it listens on. */
    readonly ports: number[],
    private readonly launch: () => ChildProcess,
  ) {}

  static start(
    name: string,
    command: string,
    args: string[],
    opts: { logDir: string; env?: NodeJS.ProcessEnv; cwd?: string },
  ): ManagedProcess {
    const logFile = path.join(opts.logDir, `${name}.log`);
    const launch = (): ChildProcess => {
      const fd = openSync(logFile, 'a');
      const child = spawn(command, args, {
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env },
        stdio: ['ignore', fd, fd],
        detached: false,
      });
      closeSync(fd);
      return child;
    };
    const named = [...args, ...Object.values(opts.env ?? {})].join(' ');
    const ports = [...named.matchAll(/(?:127\.0\.0\.1:|--(?:port|secure-port)[= ])(\d{2,5})\b/g)].map((m) => Number(m[1]));
    return new ManagedProcess(name, logFile, launch(), ports, launch);
  }

  /** Starts the stopped process again with the same command, arguments and environment. */
  start(): void {
    if (!this.exited) throw new Error(`${this.name} is still running`);
    this.child = this.launch();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Polls `ready` until it holds; fails early with the log tail if the process exits. */
  async waitUntil(what: string, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited)
        throw new Error(
          `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}; ` +
            `last lines of ${this.logFile}:\n${this.tail()}`,
        );
      if (await ready().catch(() => false)) return;
      if (Date.now() > deadline)
        throw new Error(
          `${this.name}: ${what} did not happen within ${timeoutMs / 1000} s; last lines of ${this.logFile}:\n${this.tail()}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}
