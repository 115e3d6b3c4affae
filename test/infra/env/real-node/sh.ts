import { execFileSync } from 'node:child_process';

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
