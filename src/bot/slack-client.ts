import { WebClient, WebClientEvent } from '@slack/web-api';
import type { Logger } from '../log.js';
import type { Env } from '../config/env.js';
import { slackRateLimited } from '../metrics.js';
import { slackLogger } from './slack-logger.js';

export function slackApiUrl(env: Env): string | undefined {
  if (env.SLACK_API_URL === undefined) return undefined;
  return env.SLACK_API_URL.endsWith('/') ? env.SLACK_API_URL : `${env.SLACK_API_URL}/`;
}

/**
 * How the Web API client retries a call Slack failed (5xx, network) or rate limited (after
 * Retry-After): the library's default stretches ten retries over half an hour, which would leave
 * a job's status stale for minutes after a short outage; this one retries for about a minute.
 */
export const SLACK_RETRY_POLICY = { retries: 8, factor: 2, minTimeout: 500, maxTimeout: 10_000, randomize: true };

/** Counts 429s; the client itself waits out Retry-After and sends the call again. */
export function countRateLimits(client: WebClient): WebClient {
  client.on(WebClientEvent.RATE_LIMITED, (_retryAfterSec: number, request: { url: string }) => {
    slackRateLimited.inc({ method: request.url.replace(/^.*\//, '') });
  });
  return client;
}

/** A Web API client for processes without a Bolt app (ROLE=worker). */
export function createWebClient(env: Env, log: Logger): WebClient {
  const url = slackApiUrl(env);
  return countRateLimits(
    new WebClient(env.SLACK_BOT_TOKEN, {
      logger: slackLogger(log),
      retryConfig: SLACK_RETRY_POLICY,
      ...(url === undefined ? {} : { slackApiUrl: url }),
    }),
  );
}
