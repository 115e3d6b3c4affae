import { RespondError, type RespondFn } from '@slack/bolt';
import type { Logger } from '../log.js';
import { backoff, retry } from '../retry.js';

const ATTEMPTS = 6;
const MAX_BACKOFF_MS = 8000;

/** Bolt's RespondError carries the status but not the response's Retry-After; 1 s is Slack's usual. */
const RATE_LIMIT_WAIT_MS = 1000;

/**
 * Bolt's `respond` posts once to the response_url; this one sends again when Slack answers
 * 429 or 5xx (with backoff), so a reply is not lost to a passing storm.
 * Anything else (4xx: used up, expired, invalid) fails at once.
 */
export function retryingRespond(respond: RespondFn, log: Logger): RespondFn {
  const statusOf = (err: unknown): number | undefined => (err instanceof RespondError ? err.statusCode : undefined);
  // Jitter keeps replies that failed together from all coming back at the same moment.
  const jittered = backoff(500, MAX_BACKOFF_MS, true);
  return (message) =>
    retry(() => respond(message), {
      attempts: ATTEMPTS,
      retryIf: (err) => {
        const status = statusOf(err);
        return status !== undefined && (status === 429 || status >= 500);
      },
      delayMs: (attempt, err) => (statusOf(err) === 429 ? Math.max(RATE_LIMIT_WAIT_MS, jittered(attempt)) : jittered(attempt)),
      onRetry: (err, attempt, waitMs) =>
        log.warn({ status: statusOf(err), attempt, waitMs }, 'response_url did not take the reply; sending it again'),
    });
}
