import { z } from 'zod';

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

export const envSchema = z
  .object({
    ROLE: z.enum(['bot', 'worker', 'all']).default('all'),
    /** Slack's requests (POST /slack/events, HTTP mode) and /healthz. */
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** /healthz, /readyz and /metrics, apart from the port Slack reaches. */
    OPS_PORT: z.coerce.number().int().min(0).max(65535).default(9090),
    SLACK_SIGNING_SECRET: optionalNonEmpty,
    SLACK_BOT_TOKEN: optionalNonEmpty.pipe(
      z
        .string()
        .regex(/^xoxb-/, 'must be a bot token (xoxb-…)')
        .optional(),
    ),
    SLACK_APP_TOKEN: optionalNonEmpty.pipe(
      z
        .string()
        .regex(/^xapp-/, 'must be an app-level token (xapp-…)')
        .optional(),
    ),
    SLACK_API_URL: optionalNonEmpty.pipe(z.url().optional()),
    REDIS_URL: optionalNonEmpty.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
    /** Redis AUTH password (overrides one in REDIS_URL), e.g. from a Kubernetes Secret. */
    REDIS_PASSWORD: optionalNonEmpty,
    /** PEM file of the CA that signed the Redis server's TLS certificate (rediss:// URLs). */
    REDIS_CA_FILE: optionalNonEmpty,
    KUBECONFIG: optionalNonEmpty,
    FABRIC_CHATOPS_CONFIG: optionalNonEmpty,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** How long a worker holds a job before another may take it over after a crash. */
    WORKER_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
    /** How long one Kubernetes API call may take before the API server counts as not answering. */
    KUBE_API_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    /** How long a step waits for an unavailable service (API server, peer, CA) before its attempt fails. */
    OUTAGE_PATIENCE_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(5 * 60_000),
    /** Minimum gap between two chat.update calls on one status message. */
    STATUS_UPDATE_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
    /** How often workers try again to deliver a final job status Slack did not take. */
    STATUS_RETRY_MS: z.coerce.number().int().min(100).default(30_000),
    ALERT_RECHECK_MS: z.coerce.number().int().min(1000).default(30_000),
    /** How often workers look for certificates about to expire (default every 6 hours). */
    CERT_SCAN_MS: z.coerce
      .number()
      .int()
      .min(1000)
      .default(6 * 3600_000),
    /** How often the members of a Slack user group named in the config are read again. */
    USERGROUP_REFRESH_MS: z.coerce
      .number()
      .int()
      .min(100)
      .default(5 * 60_000),
    /** How long a Slack user group that cannot be read keeps its last-known members; then it grants nothing. */
    USERGROUP_GRACE_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(5 * 60_000),
    /** How long a command waits for a worker to answer a read (status, certificates, logs). */
    QUERY_TIMEOUT_MS: z.coerce.number().int().min(500).default(20_000),
    /** Interface the local console listens on (only without Slack credentials). */
    CONSOLE_HOST: z.string().trim().min(1).default('127.0.0.1'),
  })
  .superRefine((env, ctx) => {
    if (env.REDIS_CA_FILE !== undefined && env.REDIS_URL !== undefined && !env.REDIS_URL.startsWith('rediss:')) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_CA_FILE'], message: 'is for TLS: REDIS_URL must start with rediss://' });
    }
    if (env.ROLE === 'worker') return;
    const noSlackAtAll =
      env.SLACK_BOT_TOKEN === undefined &&
      env.SLACK_SIGNING_SECRET === undefined &&
      env.SLACK_APP_TOKEN === undefined &&
      env.SLACK_API_URL === undefined;
    if (env.ROLE === 'all' && noSlackAtAll) return; // the local console stands in for Slack
    if (env.SLACK_BOT_TOKEN === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_BOT_TOKEN'],
        message: 'required (the bot token, xoxb-…); or unset every SLACK_ variable and use ROLE=all for the local console',
      });
    }
    if (env.SLACK_APP_TOKEN === undefined && env.SLACK_SIGNING_SECRET === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message: 'required for the HTTP receiver (or set SLACK_APP_TOKEN for Socket Mode)',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;
