import { RespondError, type RespondFn } from '@slack/bolt';
import type { Logger } from '../log.js';

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
  return async (message) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await respond(message);
      } catch (err) {
        const status = err instanceof RespondError ? err.statusCode : undefined;
        const retriable = status !== undefined && (status === 429 || status >= 500);
        if (!retriable || attempt >= ATTEMPTS) throw err;
        // Jitter keeps replies that failed together from all coming back at the same moment.
        const backoffMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random());
        const waitMs = Math.round(status === 429 ? Math.max(RATE_LIMIT_WAIT_MS, backoffMs) : backoffMs);
        log.warn({ status, attempt, waitMs }, 'response_url did not take the reply; sending it again');
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  };
}
