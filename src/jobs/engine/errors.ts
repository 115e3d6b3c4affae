import { UnrecoverableError } from 'bullmq';

/**
 * A failure that retrying cannot fix: bad input, a refused authorization, a missing object.
 * Extends BullMQ's UnrecoverableError so the job fails at once instead of backing off.
 */
export class PermanentError extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * A permanent failure that the same command, asked again, would not meet: what was planned went
 * stale (a channel moved on). Its status message offers to ask again in one click.
 */
export class RequestAgainError extends PermanentError {
  constructor(message: string) {
    super(message);
    this.name = 'RequestAgainError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export class CancelledError extends UnrecoverableError {
  constructor(readonly by: string) {
    super(`cancelled by <@${by}>`);
    this.name = 'CancelledError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Checks the name too: instanceof fails when bullmq is loaded twice (ESM and CommonJS). */
export function isPermanent(err: unknown): boolean {
  return (
    err instanceof UnrecoverableError ||
    (err instanceof Error && ['PermanentError', 'RequestAgainError', 'CancelledError', 'UnrecoverableError'].includes(err.name))
  );
}

export function isCancelled(err: unknown): err is CancelledError {
  return err instanceof CancelledError || (err instanceof Error && err.name === 'CancelledError');
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
