import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

/** Runs a host command, returning its stdout; fails with its stderr. */
export function sh(command: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): string {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      input: opts.input,
      timeout: opts.timeoutMs ?? 60_000,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || String(err)}`);
  }
}

/** The same, for cleanup steps where "not there" is the expected outcome. */
export function shQuiet(command: string, args: string[]): boolean {
  try {
    sh(command, args);
    return true;
  } catch {
    return false;
  }
}

const execFileAsync = promisify(execFile);

/** `sh` without blocking the event loop, for long steps (image builds, large imports). */
export async function shAsync(
  command: string,
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
    });
    return stdout;
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string; stdout?: string };
    const output = `${stdout ?? ''}\n${stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed: ${output || String(err)}`);
  }
}
