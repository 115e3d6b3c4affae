/**
 * The worker side of a process (ROLE=worker or all): the job and query workers, the status and
 * alert publishers and the watchers, with the Kubernetes and Fabric clients they bring. start.ts
 * imports this module only when the process runs workers, so the Slack edge (ROLE=bot) never
 * loads those clients.
 */
import type { Redis } from 'ioredis';
import type { WebClient } from '@slack/web-api';
import type { Worker } from 'bullmq';
import { SlackAlertPublisher } from './bot/alert-publisher.js';
import { createWebClient } from './bot/slack-client.js';
import { SlackStatusPublisher } from './bot/status-publisher.js';
import type { Env } from './config/env.js';
import type { Config } from './config/model.js';
import type { JobQueue } from './jobs/engine/queue.js';
import { startWorkers, type JobEntry, type Workers } from './jobs/engine/worker.js';
import type { Approvals } from './jobs/services/approvals.js';
import type { AuditLog } from './jobs/services/audit.js';
import { redisCreatedChannels } from './jobs/services/created-channels.js';
import { createPlatform } from './jobs/services/platform.js';
import { startQueryWorker } from './jobs/services/query-bus.js';
import type { AlertMonitor } from './jobs/watchers/alerts.js';
import type { CertExpiryWatch } from './jobs/watchers/cert-expiry.js';
import { UndeliveredStatuses } from './jobs/watchers/undelivered.js';
import type { Logger } from './log.js';

export interface WorkerSideDeps {
  env: Env;
  config: Config;
  log: Logger;
  redis: Redis;
  jobs: JobQueue;
  audit: AuditLog;
  approvals: Approvals;
  handlers: readonly JobEntry[];
  networks: readonly string[];
  /** The bot's Web API client when this process also runs the bot; one is made otherwise. */
  client: WebClient | undefined;
}

export interface WorkerSide {
  publisher: SlackStatusPublisher;
  /** Each part's stop, in the order the process stops them. */
  stops: Array<[string, () => Promise<unknown>]>;
}

export async function startWorkerSide(deps: WorkerSideDeps): Promise<WorkerSide> {
  const { env, config, log, redis, jobs, audit, approvals, handlers, networks } = deps;
  const platform = createPlatform(config, env.KUBECONFIG, { timeoutMs: env.KUBE_API_TIMEOUT_MS }, redisCreatedChannels(redis));
  const client = deps.client ?? createWebClient(env, log);
  const publisher = new SlackStatusPublisher(client, log, env.STATUS_UPDATE_INTERVAL_MS, approvals);
  const undelivered = new UndeliveredStatuses(redis, jobs, publisher, log);
  undelivered.start(env.STATUS_RETRY_MS);
  const workers: Workers = startWorkers({
    redis,
    handlers,
    networks,
    reporter: publisher,
    audit,
    approvals,
    platform,
    log,
    concurrency: config.jobs.concurrency,
    lockMs: env.WORKER_LOCK_MS,
    outagePatienceMs: env.OUTAGE_PATIENCE_MS,
    undelivered,
  });
  const queryWorker: Worker = startQueryWorker({
    redis,
    platform,
    handlers: async () => (await import('./jobs/services/queries.js')).queryHandlers,
    log,
    concurrency: 8,
  });
  log.info({ concurrency: config.jobs.concurrency, networks, types: handlers.map((h) => h.kind.type) }, 'worker started');
  let alerts: AlertMonitor | undefined;
  let certExpiry: CertExpiryWatch | undefined;
  // Every worker watches; Redis decides which one posts each alert.
  if (env.KUBECONFIG !== undefined || process.env.KUBERNETES_SERVICE_HOST !== undefined) {
    const [{ AlertMonitor }, { CertExpiryWatch }] = await Promise.all([
      import('./jobs/watchers/alerts.js'),
      import('./jobs/watchers/cert-expiry.js'),
    ]);
    const alertPublisher = new SlackAlertPublisher(client, config.slack.command);
    alerts = new AlertMonitor(redis, platform, alertPublisher, audit, log, { recheckMs: env.ALERT_RECHECK_MS });
    await alerts.start().catch((err: unknown) => log.warn({ err }, 'pod alerts are off: cannot watch pods'));
    certExpiry = new CertExpiryWatch(redis, platform, alertPublisher, audit, log, env.CERT_SCAN_MS);
    certExpiry.start();
  } else if (config.networks.some((n) => n.alertChannel !== undefined)) {
    log.warn('pod alerts are off: no KUBECONFIG and not running in a cluster');
  }
  return {
    publisher,
    stops: [
      ['alerts', async () => alerts?.stop()],
      ['certificate expiry watch', async () => certExpiry?.stop()],
      ['workers', async () => workers.close()],
      ['query worker', async () => queryWorker.close(redis.status !== 'ready')],
      ['undelivered statuses', async () => undelivered.stop()],
      ['status updates', async () => publisher.flush()],
    ],
  };
}
