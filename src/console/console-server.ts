/**
 * The local console: a Slack-like web page for trying the bot without a Slack workspace. It is the
 * Slack emulator (the workspace package @fabric-chatops/slack-emulator, without its test-only
 * fault injection) plus a page: the bot talks to it exactly as to Slack (signed requests in, Web API
 * calls out), and the page lets one person type commands and click buttons as any member.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SlackEmulator, type StoredMessage } from '@fabric-chatops/slack-emulator';

export interface ConsoleMember {
  id: string;
  name: string;
  /** How the bot's configuration knows this person, e.g. "org1 operator". */
  description: string;
}

export interface ConsoleChannel {
  id: string;
  /** What the channel is for, e.g. "ops for network demo". */
  purpose: string;
}

export interface ConsoleOptions {
  port: number;
  host?: string;
  /** Where the bot takes Slack's requests (POST /slack/events). */
  botUrl: string;
  /** The bot's ops port, whose /healthz, /readyz and /metrics the console passes on. */
  opsUrl: string;
  botToken: string;
  signingSecret: string;
  command: string;
  channels: ConsoleChannel[];
  members: ConsoleMember[];
  usergroups: Record<string, string[]>;
  /** One usage line per subcommand, shown beside the input. */
  commandHelp: string[];
}

export interface LocalConsole {
  url: string;
  /** Base URL of the emulated Web API, for the bot's SLACK_API_URL. */
  apiUrl: string;
  emulator: SlackEmulator;
  stop(): Promise<void>;
}

const LONG_POLL_MS = 25_000;
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};
/** Health and metrics answer from the bot itself, so one URL serves both. */
const BOT_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The console acts as anyone in the workspace, so only this machine's browser may drive it: the
 * Host must be the console's own address (a DNS-rebound name reads nothing), a request with an
 * Origin must come from the console's page, and commands and clicks must be JSON (a form post
 * from another site cannot be). Returns why a request is refused, or undefined.
 */
export function refuseForeign(req: IncomingMessage, port: number, host?: string): string | undefined {
  const names = ['127.0.0.1', 'localhost', '[::1]', ...(host === undefined || host === '0.0.0.0' || host === '::' ? [] : [host])];
  const loopback = [...new Set(names)].map((h) => `${h}:${port}`);
  const asked = req.headers.host ?? '';
  if (!loopback.includes(asked)) return `the console answers at ${loopback[0]} only, not ${asked || 'a request without Host'}`;
  const origin = req.headers.origin;
  if (origin !== undefined && !loopback.some((h) => origin === `http://${h}`)) return `requests from ${origin} are not accepted`;
  if (req.method === 'POST' && !/^application\/json(;|$)/.test(req.headers['content-type'] ?? '')) return 'the console takes JSON only';
  return undefined;
}

export async function startConsole(opts: ConsoleOptions): Promise<LocalConsole> {
  let emulator: SlackEmulator | undefined;
  const routes = async (req: IncomingMessage, res: ServerResponse, path: string, body: string): Promise<boolean> => {
    if (emulator === undefined) return false;
    const isConsole = STATIC[path] !== undefined || BOT_ROUTES.has(path) || path.startsWith('/console/');
    if (isConsole) {
      const refused = refuseForeign(req, Number(new URL(emulator.url).port), opts.host);
      if (refused !== undefined) {
        sendJson(res, 403, { error: refused });
        return true;
      }
    }
    const page = STATIC[path];
    if (req.method === 'GET' && page !== undefined) {
      const content = await readFile(new URL(`./public/${page.file}`, import.meta.url));
      res.writeHead(200, { 'Content-Type': page.type, 'Cache-Control': 'no-store' }).end(content);
      return true;
    }
    if (req.method === 'GET' && BOT_ROUTES.has(path)) {
      await proxyToBot(opts.opsUrl, path, res);
      return true;
    }
    if (req.method === 'GET' && path === '/console/api/state') {
      const query = new URL(req.url ?? '/', 'http://console').searchParams;
      const since = query.get('since');
      if (since !== null) await emulator.changedSince(Number(since), LONG_POLL_MS);
      sendJson(res, 200, state(emulator, opts, query.get('user') ?? ''));
      return true;
    }
    if (req.method === 'POST' && path === '/console/api/command') {
      await runCommand(emulator, opts, parseJson(body), res);
      return true;
    }
    if (req.method === 'POST' && path === '/console/api/click') {
      await click(emulator, opts, parseJson(body), res);
      return true;
    }
    return false;
  };
  emulator = await SlackEmulator.start({
    botToken: opts.botToken,
    signingSecret: opts.signingSecret,
    channels: opts.channels.map((c) => c.id),
    users: opts.members.map(({ id, name }) => ({ id, name })),
    usergroups: opts.usergroups,
    command: opts.command,
    port: opts.port,
    ...(opts.host === undefined ? {} : { host: opts.host }),
    routes,
  });
  const started = emulator;
  return { url: started.url, apiUrl: started.apiUrl, emulator: started, stop: () => started.stop() };
}

export interface VisibleMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  ephemeral: boolean;
  edited: boolean;
  postedAt: number;
}

/** GET /console/api/state: what the page shows. */
export interface ConsoleState {
  revision: number;
  command: string;
  channels: ConsoleChannel[];
  members: ConsoleMember[];
  help: string[];
  messages: VisibleMessage[];
  problems: string[];
}

/** What the acting member sees: every channel message, and the ephemeral ones meant for them. */
function state(emulator: SlackEmulator, opts: ConsoleOptions, user: string): ConsoleState {
  const visible = (m: StoredMessage): boolean => !m.ephemeral || m.user === user;
  const messages: VisibleMessage[] = emulator
    .messages()
    .filter(visible)
    .map((m) => ({
      channel: m.channel,
      ts: m.ts,
      ...(m.text === undefined ? {} : { text: m.text }),
      ...(m.blocks === undefined ? {} : { blocks: m.blocks }),
      ephemeral: m.ephemeral,
      edited: m.edits.length > 0,
      postedAt: m.postedAt,
    }));
  return {
    revision: emulator.revision,
    command: opts.command,
    channels: opts.channels,
    members: opts.members,
    help: opts.commandHelp,
    messages,
    problems: [...emulator.problems],
  };
}

async function runCommand(
  emulator: SlackEmulator,
  opts: ConsoleOptions,
  input: Record<string, unknown>,
  res: ServerResponse,
): Promise<void> {
  const user = memberId(opts, input.user);
  const channel = channelId(opts, input.channel);
  const typed = typeof input.text === 'string' ? input.text.trim() : '';
  if (user === undefined || channel === undefined) return sendJson(res, 400, { error: 'choose a member and a channel' });
  const [word = '', ...rest] = typed.split(/\s+/);
  if (word.startsWith('/') && word !== opts.command)
    return sendJson(res, 400, { error: `${word} is not a command here; this workspace has ${opts.command}` });
  const text = word === opts.command ? rest.join(' ') : typed;
  try {
    const reply = await emulator.sendSlashCommand(`${opts.botUrl}/slack/events`, { text, userId: user, channelId: channel });
    sendJson(res, 200, { status: reply.status, ms: Math.round(reply.ms) });
  } catch (err) {
    sendJson(res, 502, { error: `the bot did not answer: ${err instanceof Error ? err.message : String(err)}` });
  }
}

async function click(emulator: SlackEmulator, opts: ConsoleOptions, input: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const user = memberId(opts, input.user);
  const channel = channelId(opts, input.channel);
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const ts = str(input.ts);
  const actionId = str(input.actionId);
  if (user === undefined || channel === undefined || ts === undefined || actionId === undefined)
    return sendJson(res, 400, { error: 'a click needs user, channel, ts and actionId' });
  const value = str(input.value);
  const blockId = str(input.blockId);
  try {
    const reply = await emulator.clickButton(`${opts.botUrl}/slack/events`, {
      userId: user,
      channelId: channel,
      messageTs: ts,
      actionId,
      ...(value === undefined ? {} : { value }),
      ...(blockId === undefined ? {} : { blockId }),
    });
    sendJson(res, 200, { status: reply.status, ms: Math.round(reply.ms) });
  } catch (err) {
    sendJson(res, 409, { error: err instanceof Error ? err.message : String(err) });
  }
}

async function proxyToBot(botUrl: string, path: string, res: ServerResponse): Promise<void> {
  try {
    const upstream = await fetch(`${botUrl}${path}`, { signal: AbortSignal.timeout(5000) });
    res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'text/plain' }).end(await upstream.text());
  } catch {
    res.writeHead(503, { 'Content-Type': 'text/plain' }).end('the bot is not answering');
  }
}

const memberId = (opts: ConsoleOptions, v: unknown): string | undefined => opts.members.find((m) => m.id === v)?.id;
const channelId = (opts: ConsoleOptions, v: unknown): string | undefined => opts.channels.find((c) => c.id === v)?.id;

function parseJson(body: string): Record<string, unknown> {
  try {
    const v = JSON.parse(body) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
}
