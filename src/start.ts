/**
 * Starts what a process runs, by its role: the Slack edge, the workers, or both, on the commands
 * and job kinds given (the shipped ones in main.ts; a test may add its own). The one place where
 * the layers are put together.
 */
import type { Redis } from 'ioredis';
import type { Server } from 'node:http';
import { createBot, type Bot } from './bot/app.js';
import { OwedJobsSweeper } from './jobs/services/approval-flow.js';
import { Approvals } from './jobs/services/approvals.js';
import { AuditLog } from './jobs/services/audit.js';
import { JobKinds, type JobKind } from './jobs/catalog/kind.js';
import { QueryClient } from './jobs/services/query-bus.js';
import { JobQueue } from './jobs/engine/queue.js';
import { connectRedis, isRedisAuthError, type RedisAccess } from './jobs/engine/redis.js';
import type { JobEntry } from './jobs/engine/worker.js';
import type { Logger } from './log.js';
import { startEmbeddedRedis, type EmbeddedRedis } from './runtime/embedded-redis.js';
import { opsRoutes, startOpsServer } from './runtime/ops-routes.js';
import { startLocalConsole, wantsLocalConsole } from './runtime/local-console.js';
import type { WorkerSide } from './start-worker.js';
import { usageOf } from './bot/grammar.js';
import type { LocalConsole } from './console/console-server.js';
import type { CommandSpec } from './bot/types.js';
import type { Env } from './config/env.js';
import type { Config } from './config/model.js';

const STEP_PATIENCE_MS = 10_000;

/** Waits for `p`, or for `ms` when given: 'timed-out' then. */
async function withPatience(p: Promise<unknown>, ms: number | undefined): Promise<'done' | 'timed-out'> {
  if (ms === undefined) return p.then(() => 'done');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timed-out'>((resolve) => (timer = setTimeout(() => resolve('timed-out'), ms)));
  try {
    return await Promise.race([p.then(() => 'done' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface StartOptions {
  env: Env;
  config: Config;
  log: Logger;
  commands: readonly CommandSpec[];
  kinds: readonly JobKind[];
  /** What runs each kind: given, or loaded when this process runs workers (the edge needs none). */
  handlers: readonly JobEntry[] | (() => Promise<readonly JobEntry[]>);
  /** The configuration is the bundled example (said in the log). */
  exampleConfig?: boolean;
}

export interface Running {
  /** Where Slack's requests go (HTTP mode), when this process runs the bot. */
  port: number;
  opsPort: number;
  /** Graceful stop: no new requests; active jobs finish; everything closed. */
  stop(): Promise<void>;
}

export async function startProcess(opts: StartOptions): Promise<Running> {
  let { env } = opts;
  const { config, log, commands } = opts;
  let localConsole: LocalConsole | undefined;
  const local = wantsLocalConsole(env);
  if (local) {
    const help = commands.map((c) => usageOf(config.slack.command, c));
    ({ console: localConsole, env } = await startLocalConsole(env, config, help));
    log.info({ url: localConsole.url }, `no Slack credentials: the local console stands in for Slack; open ${localConsole.url}`);
  }
  if (opts.exampleConfig === true) log.warn('FABRIC_CHATOPS_CONFIG is not set: using the bundled example config');

  let embedded: EmbeddedRedis | undefined;
  let redisUrl = env.REDIS_URL;
  if (redisUrl === undefined) {
    embedded = await startEmbeddedRedis();
    redisUrl = embedded.url;
    log.info({ url: redisUrl, dataDir: embedded.dataDir }, 'REDIS_URL is not set: started a private redis-server (embedded default)');
  }
  const redis: RedisAccess = {
    url: redisUrl,
    ...(env.REDIS_PASSWORD === undefined ? {} : { password: env.REDIS_PASSWORD }),
    ...(env.REDIS_CA_FILE === undefined ? {} : { caFile: env.REDIS_CA_FILE }),
  };

  const producerRedis: Redis = connectRedis(redis, 'producer');
  const workerRedis: Redis | undefined = env.ROLE === 'bot' ? undefined : connectRedis(redis, 'worker');
  const eventsRedis: Redis | undefined = env.ROLE === 'worker' ? undefined : connectRedis(redis, 'events');
  for (const r of [producerRedis, workerRedis, eventsRedis]) {
    // Said once per connection until Redis takes the credentials: it retries every few hundred ms.
    let refused = false;
    r?.on('ready', () => (refused = false));
    r?.on('error', (err: Error) => {
      if (!isRedisAuthError(err)) log.warn({ err: err.message }, 'redis connection error');
      else if (!refused) log.error({ err: err.message }, 'Redis refused our credentials: check REDIS_URL / REDIS_PASSWORD');
      refused ||= isRedisAuthError(err);
    });
  }
  const audit = new AuditLog(producerRedis, config.audit);
  const jobs = new JobQueue(producerRedis, { attempts: config.jobs.attempts, backoffMs: config.jobs.backoffMs });
  const routes = opsRoutes(producerRedis);
  const approvals = new Approvals(producerRedis);
  const queries = eventsRedis === undefined ? undefined : new QueryClient(producerRedis, eventsRedis, env.QUERY_TIMEOUT_MS);
  const networks = config.networks.map((n) => n.name);
  const kinds = new JobKinds(opts.kinds);

  let bot: Bot | undefined;
  let opsServer: Server | undefined;
  let workerSide: WorkerSide | undefined;
  let sweeper: OwedJobsSweeper | undefined;

  if (queries !== undefined) {
    // The Slack-facing process holds no Kubernetes client and no key: reads go to the workers.
    bot = createBot({
      env,
      config,
      jobs,
      audit,
      approvals,
      kinds,
      queries,
      log,
      commands,
      routes: routes.filter((r) => r.path === '/healthz'),
      ...(local ? { host: '127.0.0.1' } : {}),
    });
    await bot.start();
    log.info({ port: env.PORT, command: config.slack.command, mode: bot.socketMode ? 'socket' : 'http' }, 'bot listening');
  }
  opsServer = await startOpsServer(env.OPS_PORT, routes, local ? '127.0.0.1' : undefined);
  log.info({ port: env.OPS_PORT }, 'health, readiness and metrics listening');
  if (workerRedis !== undefined) {
    const { startWorkerSide } = await import('./start-worker.js');
    const handlers = typeof opts.handlers === 'function' ? await opts.handlers() : opts.handlers;
    workerSide = await startWorkerSide({
      env,
      config,
      log,
      redis: workerRedis,
      jobs,
      audit,
      approvals,
      handlers,
      networks,
      client: bot?.client,
    });
  }
  // Approved requests whose voter died before queuing the job: any process may queue them.
  const cardRefresher = workerSide?.publisher;
  sweeper = new OwedJobsSweeper({ jobs, approvals, audit, kinds }, log, async (id) => cardRefresher?.approvalChanged(id));
  sweeper.start();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const steps: Array<[string, () => Promise<unknown>]> = [
        ['bot', async () => bot?.stop()],
        ['approval sweeper', async () => sweeper?.stop()],
        ...(workerSide?.stops ?? []),
        ['ops server', async () => new Promise((r) => (opsServer === undefined ? r(undefined) : opsServer.close(() => r(undefined))))],
        ['queries', async () => queries?.close()],
        ['queue', async () => jobs.close()],
        [
          'redis',
          async () =>
            Promise.all(
              [producerRedis, workerRedis, eventsRedis].map((r) =>
                r === undefined ? undefined : r.status === 'ready' ? r.quit() : r.disconnect(),
              ),
            ),
        ],
        ['embedded redis', async () => embedded?.stop()],
        ['local console', async () => localConsole?.stop()],
      ];
      for (const [name, step] of steps) {
        log.debug({ step: name }, 'shutting down');
        // Active jobs may take as long as they need; anything else that hangs is logged and passed.
        const patience = name === 'workers' ? undefined : STEP_PATIENCE_MS;
        try {
          const outcome = await withPatience(step(), patience);
          if (outcome === 'timed-out') log.warn({ step: name, ms: patience }, 'shutdown step did not finish in time; going on');
        } catch (err) {
          log.warn({ err, step: name }, 'shutdown step failed');
        }
      }
    })());
  return { port: env.PORT, opsPort: env.OPS_PORT, stop };
}
