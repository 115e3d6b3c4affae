import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, served at /metrics. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'fabric_chatops_' });

export const jobsTotal = new Counter({
  name: 'fabric_chatops_jobs_total',
  help: 'Jobs finished, by type and outcome (succeeded, failed, cancelled, retried)',
  labelNames: ['type', 'outcome'] as const,
  registers: [registry],
});

export const jobDuration = new Histogram({
  name: 'fabric_chatops_job_duration_seconds',
  help: 'Time from a job starting on a worker to its end, by type and outcome',
  labelNames: ['type', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600],
  registers: [registry],
});

export const commandsTotal = new Counter({
  name: 'fabric_chatops_commands_total',
  help: 'Slash commands received, by subcommand and outcome',
  labelNames: ['command', 'outcome'] as const,
  registers: [registry],
});

export const slackApiErrors = new Counter({
  name: 'fabric_chatops_slack_api_errors_total',
  help: 'Slack Web API calls that failed, by method and error code',
  labelNames: ['method', 'error'] as const,
  registers: [registry],
});

export const slackRateLimited = new Counter({
  name: 'fabric_chatops_slack_rate_limited_total',
  help: 'Slack Web API calls answered 429 (retried after Retry-After), by method',
  labelNames: ['method'] as const,
  registers: [registry],
});
