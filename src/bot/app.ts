import type { Server } from 'node:http';
import bolt from '@slack/bolt';
import type { CustomRoute } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Env } from '../config/env.js';
import type { BotContext } from './context.js';
import { registerActions } from './handlers/actions.js';
import { registerCommands } from './handlers/commands.js';
import { Membership } from './membership.js';
import { countRateLimits, SLACK_RETRY_POLICY, slackApiUrl } from './slack-client.js';
import { slackLogger } from './slack-logger.js';

const { App, HTTPReceiver } = bolt;

/** What the bot is made from: the context's parts it does not make itself, and where it listens. */
export type BotDeps = Omit<BotContext, 'membership' | 'client' | 'commandName'> & {
  env: Env;
  /** Extra HTTP routes served beside /slack/events (the liveness probe). */
  routes: CustomRoute[];
  /** The interface to listen on; all of them when not given (the local console: loopback). */
  host?: string;
};

export interface Bot {
  client: WebClient;
  /** True when Slack reaches the bot over Socket Mode rather than HTTP. */
  socketMode: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A request no listener takes (not a Slack payload) is answered 404 well inside Slack's 3 s. */
const UNHANDLED_REQUEST_MS = 1500;
/** Slack allows five minutes of clock difference either way; Bolt checks only the past. */
const MAX_CLOCK_SKEW_SEC = 5 * 60;
/** Slack's payloads are small; this is far above any of them. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Requests whose body is still arriving (not yet verified) at once; more are answered 503. */
const MAX_UNVERIFIED = 64;
/**
 * A request not verified yet gets this long for its headers and its whole body: a client that
 * trickles bytes (slowloris) is cut off instead of holding a socket and a buffer.
 */
const SERVER_OPTIONS = { headersTimeout: 10_000, requestTimeout: 15_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 };
const MAX_CONNECTIONS = 1024;
/**
 * A connection that sends nothing at all is closed after this long: headersTimeout starts at its
 * first byte, and Node's socket timeout does not fire beside connectionsCheckingInterval.
 */
const SILENT_SOCKET_MS = 10_000;

/** Closes connections that have sent nothing within `ms`. */
export function closingSilentSockets(server: Server, ms: number): void {
  server.on('connection', (socket) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    socket.once('data', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
}

/**
 * Checks Bolt leaves out, before Bolt sees the request: timestamps in the future, oversized
 * bodies, and interaction payloads that are JSON but not an object (Bolt would crash on those).
 * The body read here is handed to Bolt as already buffered, which Bolt supports.
 */
function guardedReceiver(receiver: InstanceType<typeof HTTPReceiver>): InstanceType<typeof HTTPReceiver> {
  const inner = receiver.requestListener;
  let unverified = 0;
  receiver.requestListener = (req, res) => {
    const refuse = (status: number, headers: Record<string, string> = {}): void =>
      void res.writeHead(status, { ...headers, Connection: 'close' }).end();
    const timestamp = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(timestamp) && timestamp > Date.now() / 1000 + MAX_CLOCK_SKEW_SEC) return refuse(401);
    if (req.method !== 'POST') return inner(req, res);
    if (unverified >= MAX_UNVERIFIED) return refuse(503, { 'Retry-After': '1' });
    unverified++;
    let counted = true;
    const done = (): void => {
      if (counted) unverified--;
      counted = false;
    };
    req.once('close', done);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refuse(413);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      done();
      if (size > MAX_BODY_BYTES) return;
      const rawBody = Buffer.concat(chunks);
      const payload = new URLSearchParams(rawBody.toString('utf8')).get('payload');
      if (payload !== null && !isJsonObject(payload)) return refuse(400);
      Object.assign(req, { rawBody });
      return inner(req, res);
    });
  };
  return receiver;
}

function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return true; // Bolt answers malformed JSON with 400 itself
  }
}

/** A Web API client for lookups made while a person waits (user groups): one retry, 3 s each. */
function lookupClient(env: Env, logger: ReturnType<typeof slackLogger>): WebClient {
  const url = slackApiUrl(env);
  return new WebClient(env.SLACK_BOT_TOKEN, {
    logger,
    timeout: 3000,
    retryConfig: { retries: 1, minTimeout: 200, maxTimeout: 500 },
    ...(url === undefined ? {} : { slackApiUrl: url }),
  });
}

/** The Bolt app: HTTP receiver at POST /slack/events (signatures verified), or Socket Mode with an app token. */
export function createBot(deps: BotDeps): Bot {
  const { env, config, log } = deps;
  const logger = slackLogger(log);
  const url = slackApiUrl(env);
  const clientOptions = { retryConfig: SLACK_RETRY_POLICY, ...(url === undefined ? {} : { slackApiUrl: url }) };
  const socketMode = env.SLACK_APP_TOKEN !== undefined;
  const app = socketMode
    ? new App({
        token: env.SLACK_BOT_TOKEN,
        appToken: env.SLACK_APP_TOKEN,
        socketMode: true,
        logger,
        convoStore: false,
        clientOptions,
        installerOptions: { clientOptions },
      })
    : new App({
        token: env.SLACK_BOT_TOKEN,
        logger,
        // No conversation state is kept; Bolt's store would build an Error on every request to say so.
        convoStore: false,
        clientOptions,
        receiver: guardedReceiver(
          new HTTPReceiver({
            signingSecret: env.SLACK_SIGNING_SECRET ?? '',
            endpoints: '/slack/events',
            customRoutes: deps.routes,
            logger,
            unhandledRequestTimeoutMillis: UNHANDLED_REQUEST_MS,
          }),
        ),
      });

  countRateLimits(app.client);
  const bot: BotContext = {
    config,
    jobs: deps.jobs,
    audit: deps.audit,
    approvals: deps.approvals,
    kinds: deps.kinds,
    queries: deps.queries,
    log,
    membership: new Membership(config, lookupClient(env, logger), log, {
      refreshMs: env.USERGROUP_REFRESH_MS,
      graceMs: env.USERGROUP_GRACE_MS,
    }),
    client: app.client,
    commandName: config.slack.command,
    commands: deps.commands,
  };
  registerCommands(app, bot);
  registerActions(app, bot);
  app.error(async (err) => {
    log.error({ err }, 'unhandled Slack listener error');
  });

  return {
    client: app.client,
    socketMode,
    async start() {
      if (socketMode) {
        await app.start();
        return;
      }
      const server = (await app.start(
        { port: env.PORT, ...(deps.host === undefined ? {} : { host: deps.host }) },
        SERVER_OPTIONS,
      )) as Server;
      server.maxConnections = MAX_CONNECTIONS;
      closingSilentSockets(server, SILENT_SOCKET_MS);
    },
    async stop() {
      await app.stop();
    },
  };
}
