/**
 * A local stand-in for Slack, enforcing the wire contract in shared/research/slack_contract.md:
 * signed form-encoded slash commands and block_actions sent to the app; the Web API answered with
 * HTTP 200 {ok:false,error} for API errors, 429 + Retry-After when told to rate-limit; Block Kit
 * validated on every message; response_url good for 5 posts within 30 minutes.
 *
 * What Slack would have refused or shown as an error is recorded in `problems`, so a test can
 * assert that the app never broke the contract.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { validateBlocks } from './block-kit.js';

export interface EmulatorOptions {
  botToken: string;
  signingSecret: string;
  channels: string[];
  users: { id: string; name: string }[];
  usergroups?: Record<string, string[]>;
  teamId?: string;
  command?: string;
  /** App-level token (xapp-…): with it the app may connect in Socket Mode (apps.connections.open). */
  appToken?: string;
  /** Where to listen; by default a free port on 127.0.0.1. */
  port?: number;
  host?: string;
  /** More HTTP routes on the same server (the local console); returns true when it answered. */
  routes?: (req: IncomingMessage, res: ServerResponse, path: string, body: string) => Promise<boolean>;
}

type Args = Record<string, unknown>;

export interface ApiCallRecord {
  at: number;
  method: string;
  /** The call's arguments with any token removed. */
  args: Args;
  status: number;
  response: Args;
}

export interface MessageEdit {
  at: number;
  text?: string;
  blocks?: unknown[];
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text?: string;
  /** The blocks as the message shows them now. */
  blocks?: unknown[];
  ephemeral: boolean;
  /** For an ephemeral message, the one user who sees it. */
  user?: string;
  postedAt: number;
  /** Updates after the first post, oldest first. */
  edits: MessageEdit[];
  deleted: boolean;
  source: 'api' | 'ack' | 'response_url';
}

export type InjectedFailure = { status: 429; retryAfterSec: number } | { status: 500 | 502 | 503 };

export interface SignOptions {
  timestamp?: number;
  signature?: string;
  secret?: string;
  retryNum?: number;
  version?: string;
}

export interface SlashCommandInput {
  command?: string;
  text: string;
  userId: string;
  channelId?: string;
  triggerId?: string;
}

export interface ClickInput {
  userId: string;
  channelId: string;
  messageTs: string;
  actionId: string;
  value?: string;
  blockId?: string;
  /**
   * The blocks as the clicker's client still shows them. Slack clients can lag behind an update,
   * so a click may come from a button the message no longer has; tests of that race pass them.
   */
  seenBlocks?: unknown[];
}

export interface AppReply {
  status: number;
  body: string;
  ms: number;
}

const ACK_BUDGET_MS = 3000;
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;
const UPDATE_TEXT_LIMIT = 4000;
const POST_TEXT_LIMIT = 40_000;
const TRIGGER_LIFETIME_MS = 3000;
const VIEW_TITLE_LIMIT = 24;
const VIEW_BLOCK_LIMIT = 100;

export function signSlackRequest(secret: string, timestamp: number, body: string, version = 'v0'): string {
  return `${version}=${createHmac('sha256', secret).update(`${version}:${timestamp}:${body}`).digest('hex')}`;
}

interface ResponseUrl {
  channel: string;
  user: string;
  /** The message a button was clicked on; absent for slash commands. */
  messageTs?: string;
  uses: number;
  expiresAt: number;
}

class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Args = {},
  ) {
    super(code);
  }
}

/** Pass as the app's URL to deliver over the app's Socket Mode connection instead of HTTP. */
export const SOCKET_MODE = 'socket-mode:';

export class SlackEmulator {
  readonly calls: ApiCallRecord[] = [];
  private readonly storms = new Map<string, { pattern: readonly (InjectedFailure | 'ok')[]; next: number }>();
  /** Contract breaches: what Slack would have refused, or shown the user as an error. */
  readonly problems: string[] = [];
  private readonly store: StoredMessage[] = [];
  private readonly failures = new Map<string, InjectedFailure[]>();
  private readonly responseUrls = new Map<string, ResponseUrl>();
  private readonly triggers = new Map<string, { issuedAt: number; used: boolean }>();
  /** Modals opened with views.open, newest last. */
  readonly views: Args[] = [];
  private lastTs = 0;
  private revisionCount = 0;
  private changeWaiters: Array<() => void> = [];
  private server!: http.Server;
  private readonly sockets = new Set<WebSocket>();
  private readonly socketTickets = new Set<string>();
  private readonly pendingAcks = new Map<string, (payload: Args | undefined) => void>();
  url = '';

  private constructor(private readonly opts: EmulatorOptions) {}

  static async start(opts: EmulatorOptions): Promise<SlackEmulator> {
    const emulator = new SlackEmulator(opts);
    emulator.server = http.createServer((req, res) => {
      emulator.route(req, res).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      emulator.server.once('error', reject);
      emulator.server.listen(opts.port ?? 0, host, resolve);
    });
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    emulator.url = `http://${shownHost}:${(emulator.server.address() as AddressInfo).port}`;
    if (opts.appToken !== undefined) emulator.acceptSocketMode();
    return emulator;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async stop(): Promise<void> {
    this.touch();
    this.closeSockets();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Grows by one with every change to a message; `changedSince` waits for the next. */
  get revision(): number {
    return this.revisionCount;
  }

  /** Resolves at once if anything changed after `revision`, else at the next change or the timeout. */
  async changedSince(revision: number, timeoutMs: number): Promise<void> {
    if (this.revisionCount !== revision) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.changeWaiters.push(done);
    });
  }

  private touch(): void {
    this.revisionCount++;
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const w of waiters) w();
  }

  /** The members of the workspace, as given at start. */
  get users(): readonly { id: string; name: string }[] {
    return this.opts.users;
  }

  get channels(): readonly string[] {
    return this.opts.channels;
  }

  messages(channel?: string): StoredMessage[] {
    return this.store.filter((m) => !m.deleted && (channel === undefined || m.channel === channel));
  }

  /**
   * Until called again with `undefined`, calls of `method` (or `'response_url'` for posts to
   * response URLs) follow `pattern` in turn: a failure is answered as given, `'ok'` is served
   * normally. Injected before any other checks.
   */
  storm(method: string, pattern: readonly (InjectedFailure | 'ok')[] | undefined): void {
    if (pattern === undefined || pattern.length === 0) this.storms.delete(method);
    else this.storms.set(method, { pattern, next: 0 });
  }

  /** The failure the storm on `method` has for this call, if any (the pattern moves on either way). */
  private stormFailure(method: string): InjectedFailure | undefined {
    const storm = this.storms.get(method);
    if (storm === undefined) return undefined;
    const next = storm.pattern[storm.next++ % storm.pattern.length];
    return next === 'ok' ? undefined : next;
  }

  /** The next `count` calls of `method` fail as given, before any other checks. */
  failNext(method: string, failure: InjectedFailure, count = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < count; i++) queue.push(failure);
    this.failures.set(method, queue);
  }

  async sendSlashCommand(url: string, input: SlashCommandInput, sign: SignOptions = {}): Promise<AppReply & { json?: Args; responseUrl: string; triggerId: string }> {
    const channel = input.channelId ?? this.opts.channels[0] ?? 'C0GENERAL';
    const triggerId = input.triggerId ?? `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;
    const responseUrl = this.mintResponseUrl({ channel, user: input.userId });
    this.triggers.set(triggerId, { issuedAt: Date.now(), used: false });
    const user = this.opts.users.find((u) => u.id === input.userId);
    const form = new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: this.teamId,
      team_domain: 'emulated',
      channel_id: channel,
      channel_name: channel.toLowerCase(),
      user_id: input.userId,
      user_name: user?.name ?? input.userId.toLowerCase(),
      command: input.command ?? this.opts.command ?? '/fabric',
      text: input.text,
      api_app_id: 'A0EMULATED',
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId,
    });
    const reply = await this.deliver(url, form.toString(), sign);
    const json = this.recordAck(reply, channel, input.userId);
    return { ...reply, ...(json === undefined ? {} : { json }), responseUrl, triggerId };
  }

  /** Clicks a button that is on the message now; throws if there is no such button. */
  async clickButton(url: string, input: ClickInput, sign: SignOptions = {}): Promise<AppReply> {
    const message = this.store.find((m) => m.channel === input.channelId && m.ts === input.messageTs && !m.deleted);
    if (message === undefined) throw new Error(`no message ${input.messageTs} in ${input.channelId} to click on`);
    const shown = input.seenBlocks ?? message.blocks ?? [];
    const found = findButton(shown, input.actionId, input.value, input.blockId);
    if (found === undefined) throw new Error(`message ${input.messageTs} has no button ${input.actionId}${input.value === undefined ? '' : ` with value ${input.value}`}`);
    const user = this.opts.users.find((u) => u.id === input.userId);
    const triggerId = `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;
    this.triggers.set(triggerId, { issuedAt: Date.now(), used: false });
    const payload = {
      type: 'block_actions',
      api_app_id: 'A0EMULATED',
      token: 'deprecated-verification-token',
      trigger_id: triggerId,
      team: { id: this.teamId, domain: 'emulated' },
      is_enterprise_install: false,
      user: { id: input.userId, username: user?.name ?? input.userId, name: user?.name ?? input.userId, team_id: this.teamId },
      container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: message.ephemeral },
      channel: { id: message.channel, name: message.channel.toLowerCase() },
      message: { type: 'message', ts: message.ts, text: message.text ?? '', bot_id: 'B0EMULATED', user: 'U0BOT', blocks: shown },
      state: { values: {} },
      response_url: this.mintResponseUrl({ channel: message.channel, user: input.userId, messageTs: message.ts }),
      actions: [{ ...found.button, block_id: found.blockId, action_ts: this.nextTs() }],
    };
    const reply = await this.deliver(url, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), sign);
    if (reply.status !== 200) this.problems.push(`block_actions ${input.actionId}: app answered ${reply.status}`);
    return reply;
  }

  private get teamId(): string {
    return this.opts.teamId ?? 'T0EMULATED';
  }

  /** Socket Mode: apps.connections.open hands out a one-time URL; Slack says hello, then sends envelopes the app acks. */
  private acceptSocketMode(): void {
    const wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const ticket = /^\/socket\/([0-9a-f]+)$/.exec(req.url ?? '')?.[1];
      if (ticket === undefined || !this.socketTickets.delete(ticket)) {
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
        ws.on('message', (data) => {
          let msg: Args;
          try {
            msg = JSON.parse(String(data)) as Args;
          } catch {
            this.problems.push('socket mode: the app sent something that is not JSON');
            return;
          }
          const id = asString(msg.envelope_id);
          const pending = id === undefined ? undefined : this.pendingAcks.get(id);
          if (pending === undefined) this.problems.push(`socket mode: ack for unknown envelope ${id ?? '(none)'}`);
          else pending(msg.payload as Args | undefined);
        });
        ws.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.size, connection_info: { app_id: 'A0EMULATED' }, debug_info: { host: 'emulated', approximate_connection_time: 3600 } }));
      });
    });
    this.closeSockets = () => {
      for (const ws of this.sockets) ws.terminate();
      wss.close();
    };
  }

  private closeSockets: () => void = () => undefined;

  /** Is an app connected in Socket Mode? */
  get socketConnected(): boolean {
    return this.sockets.size > 0;
  }

  private async deliverOverSocket(body: string): Promise<AppReply> {
    const [ws] = this.sockets;
    if (ws === undefined) throw new Error('no app is connected in Socket Mode');
    const form = new URLSearchParams(body);
    const payloadField = form.get('payload');
    const envelopeId = randomBytes(8).toString('hex');
    const envelope =
      payloadField === null
        ? { envelope_id: envelopeId, type: 'slash_commands', accepts_response_payload: true, payload: Object.fromEntries(form) }
        : { envelope_id: envelopeId, type: 'interactive', accepts_response_payload: false, payload: JSON.parse(payloadField) as Args };
    const t0 = performance.now();
    const payload = await new Promise<Args | undefined | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), 10_000);
      this.pendingAcks.set(envelopeId, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
      ws.send(JSON.stringify(envelope));
    });
    this.pendingAcks.delete(envelopeId);
    const ms = performance.now() - t0;
    if (payload === 'timeout') {
      this.problems.push(`socket mode: envelope ${envelope.type} never acknowledged`);
      return { status: 504, body: '', ms };
    }
    if (ms > ACK_BUDGET_MS) this.problems.push(`acknowledged after ${Math.round(ms)} ms: Slack shows operation_timeout`);
    return { status: 200, body: payload === undefined || Object.keys(payload).length === 0 ? '' : JSON.stringify(payload), ms };
  }

  private async deliver(url: string, body: string, sign: SignOptions): Promise<AppReply> {
    if (url === SOCKET_MODE) return this.deliverOverSocket(body);
    const timestamp = sign.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      // Exactly this, with no charset: Bolt parses the form only on an exact match.
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': sign.signature ?? signSlackRequest(sign.secret ?? this.opts.signingSecret, timestamp, body, sign.version),
    };
    if (sign.retryNum !== undefined) {
      headers['X-Slack-Retry-Num'] = String(sign.retryNum);
      headers['X-Slack-Retry-Reason'] = 'http_timeout';
    }
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (ms > ACK_BUDGET_MS && res.status === 200) this.problems.push(`acknowledged after ${Math.round(ms)} ms: Slack shows operation_timeout`);
    return { status: res.status, body: text, ms };
  }

  /** What a 200 ack shows the user, as Slack would: JSON as a message, plain text as its text. */
  private recordAck(reply: AppReply, channel: string, user: string): Args | undefined {
    if (reply.status !== 200 || reply.body === '') return undefined;
    let json: Args;
    try {
      json = JSON.parse(reply.body) as Args;
    } catch {
      this.post({ channel, text: reply.body, ephemeral: true, user, source: 'ack' });
      return undefined;
    }
    const problems = this.messageProblems(json, false);
    if (problems.length > 0) this.problems.push(`slash command ack: ${problems.join('; ')}`);
    else if (json.text !== undefined || json.blocks !== undefined) {
      this.post({ channel, text: asString(json.text), blocks: json.blocks as unknown[] | undefined, ephemeral: json.response_type !== 'in_channel', user, source: 'ack' });
    }
    return json;
  }

  private mintResponseUrl(target: Omit<ResponseUrl, 'uses' | 'expiresAt'>): string {
    const id = randomBytes(12).toString('hex');
    this.responseUrls.set(id, { ...target, uses: 0, expiresAt: Date.now() + RESPONSE_URL_LIFETIME_MS });
    return `${this.url}/response/${id}`;
  }

  private nextTs(): string {
    const now = Date.now() * 1000;
    this.lastTs = Math.max(now, this.lastTs + 1);
    return `${Math.floor(this.lastTs / 1e6)}.${String(this.lastTs % 1e6).padStart(6, '0')}`;
  }

  private post(m: Omit<StoredMessage, 'ts' | 'edits' | 'deleted' | 'postedAt'>): StoredMessage {
    const message: StoredMessage = { ...m, ts: this.nextTs(), postedAt: Date.now(), edits: [], deleted: false };
    if (message.text !== undefined && message.text.length > POST_TEXT_LIMIT) message.text = message.text.slice(0, POST_TEXT_LIMIT);
    this.store.push(message);
    this.touch();
    return message;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (req.method === 'POST' && path.startsWith('/api/')) return this.api(path.slice('/api/'.length), req, body, res);
    if (req.method === 'POST' && path.startsWith('/response/')) return this.respond(path.slice('/response/'.length), req, body, res);
    if (this.opts.routes !== undefined && (await this.opts.routes(req, res, path, body))) return;
    res.writeHead(404).end('not found');
  }

  private async api(method: string, req: IncomingMessage, body: string, res: ServerResponse): Promise<void> {
    const args = parseArgs(req.headers['content-type'], body);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? asString(args.token);
    delete args.token;
    const reply = (status: number, response: Args, headers: Record<string, string> = {}): void => {
      this.calls.push({ at: Date.now(), method, args, status, response });
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(response));
    };
    const stormy = this.stormFailure(method);
    const injected = this.failures.get(method)?.shift() ?? stormy;
    if (injected !== undefined) {
      if (injected.status === 429) return reply(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(injected.retryAfterSec) });
      return reply(injected.status, { ok: false, error: 'fatal_error' });
    }
    if (token === undefined || token === '') return reply(200, { ok: false, error: 'not_authed' });
    if (method === 'apps.connections.open') {
      if (token === this.opts.botToken) return reply(200, { ok: false, error: 'not_allowed_token_type' });
      if (this.opts.appToken === undefined || token !== this.opts.appToken) return reply(200, { ok: false, error: 'invalid_auth' });
      const ticket = randomBytes(12).toString('hex');
      this.socketTickets.add(ticket);
      return reply(200, { ok: true, url: `${this.url.replace(/^http/, 'ws')}/socket/${ticket}` });
    }
    if (token !== this.opts.botToken) return reply(200, { ok: false, error: 'invalid_auth' });
    try {
      reply(200, { ok: true, ...this.method(method, args) });
      if (method === 'chat.update' || method === 'chat.delete') this.touch();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      reply(200, { ok: false, error: err.code, ...err.extra });
    }
  }

  private method(method: string, args: Args): Args {
    switch (method) {
      case 'auth.test':
        return { url: 'https://emulated.slack.com/', team: 'Emulated', user: 'fabric-chatops', team_id: this.teamId, user_id: 'U0BOT', bot_id: 'B0EMULATED', is_enterprise_install: false };
      case 'chat.postMessage': {
        const channel = this.channelArg(args);
        const blocks = blocksArg(args);
        const text = asString(args.text);
        if (text === undefined && blocks === undefined && args.attachments === undefined) throw new ApiError('no_text');
        const m = this.post({ channel, text, blocks, ephemeral: false, source: 'api' });
        return { channel, ts: m.ts, message: { type: 'message', subtype: 'bot_message', text: m.text ?? '', bot_id: 'B0EMULATED', ts: m.ts, ...(blocks === undefined ? {} : { blocks }) } };
      }
      case 'chat.update': {
        const { channel, ts, m } = this.ownMessage(args, 'cant_update_message');
        const blocks = blocksArg(args);
        const text = asString(args.text);
        if (text !== undefined && text.length > UPDATE_TEXT_LIMIT) throw new ApiError('msg_too_long');
        replaceContent(m, text, blocks);
        return { channel, ts, text: m.text ?? '', message: { text: m.text ?? '', user: 'U0BOT' } };
      }
      case 'chat.postEphemeral': {
        const channel = this.channelArg(args);
        const user = required(args, 'user');
        if (!this.opts.users.some((u) => u.id === user)) throw new ApiError('user_not_in_channel');
        const blocks = blocksArg(args);
        const text = asString(args.text);
        if (text === undefined && blocks === undefined) throw new ApiError('no_text');
        const m = this.post({ channel, text, blocks, ephemeral: true, user, source: 'api' });
        return { message_ts: m.ts };
      }
      case 'chat.delete': {
        const { channel, ts, m } = this.ownMessage(args, 'cant_delete_message');
        m.deleted = true;
        return { channel, ts };
      }
      case 'users.info': {
        const user = this.opts.users.find((u) => u.id === required(args, 'user'));
        if (user === undefined) throw new ApiError('user_not_found');
        return { user: { id: user.id, team_id: this.teamId, name: user.name, real_name: user.name, deleted: false, is_bot: false, tz: 'UTC', profile: { display_name: user.name, real_name: user.name } } };
      }
      case 'usergroups.users.list': {
        const users = this.opts.usergroups?.[required(args, 'usergroup')];
        if (users === undefined) throw new ApiError('no_such_subteam');
        return { users };
      }
      case 'views.open': {
        const trigger = this.triggers.get(required(args, 'trigger_id'));
        if (trigger === undefined) throw new ApiError('invalid_trigger_id');
        if (trigger.used) throw new ApiError('exchanged_trigger_id');
        if (Date.now() - trigger.issuedAt > TRIGGER_LIFETIME_MS) throw new ApiError('expired_trigger_id');
        const view = (typeof args.view === 'string' ? JSON.parse(args.view) : args.view) as Args | undefined;
        if (view === undefined || view.type !== 'modal') throw new ApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] view.type must be modal'] } });
        const title = (view.title as Args | undefined)?.text;
        const errors = [
          ...(typeof title !== 'string' || title.length === 0 || title.length > VIEW_TITLE_LIMIT ? [`must be 1 to ${VIEW_TITLE_LIMIT} characters [json-pointer:/view/title/text]`] : []),
          ...validateBlocks(view.blocks, VIEW_BLOCK_LIMIT).map((e) => e.replace('json-pointer:/blocks', 'json-pointer:/view/blocks')),
        ];
        if (errors.length > 0) throw new ApiError('invalid_arguments', { response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
        trigger.used = true;
        const opened = { ...view, id: `V${randomBytes(5).toString('hex').toUpperCase()}`, team_id: this.teamId, state: { values: {} }, app_id: 'A0EMULATED', bot_id: 'B0EMULATED' };
        this.views.push(opened);
        return { view: opened };
      }
      case 'conversations.info': {
        const channel = this.channelArg(args);
        return { channel: { id: channel, name: channel.toLowerCase(), is_channel: true, is_private: false, is_im: false, is_archived: false } };
      }
      default:
        throw new ApiError('unknown_method');
    }
  }

  /** The message named by channel and ts, which the bot itself posted (only those may change). */
  private ownMessage(args: Args, refusal: 'cant_update_message' | 'cant_delete_message'): { channel: string; ts: string; m: StoredMessage } {
    const channel = this.channelArg(args);
    const ts = required(args, 'ts');
    const m = this.store.find((x) => x.channel === channel && x.ts === ts && !x.deleted);
    if (m === undefined) throw new ApiError('message_not_found');
    if (m.ephemeral || m.source !== 'api') throw new ApiError(refusal);
    return { channel, ts, m };
  }

  private channelArg(args: Args): string {
    const channel = asString(args.channel);
    if (channel === undefined || !this.opts.channels.includes(channel)) throw new ApiError('channel_not_found');
    return channel;
  }

  private respond(id: string, req: IncomingMessage, body: string, res: ServerResponse): void {
    const target = this.responseUrls.get(id);
    const fail = (status: number, error: string): void => {
      this.problems.push(`response_url: ${error}`);
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(error);
    };
    const injected = this.stormFailure('response_url');
    if (injected !== undefined) {
      res.writeHead(injected.status, { 'Content-Type': 'text/plain', ...(injected.status === 429 ? { 'Retry-After': String(injected.retryAfterSec) } : {}) }).end(injected.status === 429 ? 'rate_limited' : 'server_error');
      return;
    }
    if (target === undefined) return fail(404, 'no_such_url');
    if (Date.now() > target.expiresAt) return fail(404, 'expired_url');
    if (target.uses >= RESPONSE_URL_USES) return fail(404, 'used_url');
    const args = parseArgs(req.headers['content-type'], body);
    const deleteOriginal = truthy(args.delete_original);
    const problems = this.messageProblems(args, deleteOriginal);
    if (problems.length > 0) return fail(400, problems.join('; '));
    target.uses++;
    const original = target.messageTs === undefined ? undefined : this.store.find((m) => m.ts === target.messageTs && m.channel === target.channel);
    if (deleteOriginal && original !== undefined) original.deleted = true;
    const blocks = args.blocks as unknown[] | undefined;
    const text = asString(args.text);
    if (text !== undefined || blocks !== undefined) {
      if (truthy(args.replace_original) && original !== undefined && !original.deleted) {
        replaceContent(original, text, blocks);
      } else {
        const ephemeral = args.response_type !== 'in_channel';
        this.post({ channel: target.channel, text, blocks, ephemeral, ...(ephemeral ? { user: target.user } : {}), source: 'response_url' });
      }
    }
    this.touch();
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  }

  private messageProblems(args: Args, textOptional: boolean): string[] {
    const problems: string[] = [];
    if (args.blocks !== undefined) problems.push(...validateBlocks(args.blocks).map((e) => `invalid_blocks: ${e}`));
    if (!textOptional && args.text === undefined && args.blocks === undefined && args.response_type === undefined) problems.push('no_text');
    return problems;
  }
}

/** An update of a message, as Slack applies it (text without blocks removes the old blocks), recorded as an edit. */
function replaceContent(m: StoredMessage, text: string | undefined, blocks: unknown[] | undefined): void {
  if (text !== undefined) m.text = text;
  if (blocks !== undefined) m.blocks = blocks;
  else if (text !== undefined) delete m.blocks;
  m.edits.push({ at: Date.now(), ...(m.text === undefined ? {} : { text: m.text }), ...(m.blocks === undefined ? {} : { blocks: m.blocks }) });
}

function findButton(blocks: unknown[], actionId: string, value: string | undefined, blockId: string | undefined): { button: Args; blockId: string } | undefined {
  for (const [i, block] of blocks.entries()) {
    const b = block as Args;
    const id = asString(b.block_id) ?? `emulated-block-${i}`;
    if (blockId !== undefined && id !== blockId) continue;
    const candidates = [...((b.elements as Args[] | undefined) ?? []), ...(b.accessory === undefined ? [] : [b.accessory as Args])];
    const button = candidates.find((e) => e.type === 'button' && e.action_id === actionId && (value === undefined || e.value === value));
    if (button !== undefined) return { button, blockId: id };
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Slack takes form bodies (objects as JSON strings) or JSON bodies. */
function parseArgs(contentType: string | undefined, body: string): Args {
  if (body === '') return {};
  if (contentType?.startsWith('application/json') === true) return JSON.parse(body) as Args;
  return Object.fromEntries(new URLSearchParams(body));
}

/** Blocks from a call's arguments, as Slack decodes them; invalid ones raise Slack's errors. */
function blocksArg(args: Args): unknown[] | undefined {
  let blocks = args.blocks;
  if (blocks === undefined) return undefined;
  if (typeof blocks === 'string') {
    try {
      blocks = JSON.parse(blocks) as unknown;
    } catch {
      throw new ApiError('invalid_blocks_format');
    }
  }
  const errors = validateBlocks(blocks);
  if (errors.length > 0) throw new ApiError('invalid_blocks', { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
  return blocks as unknown[];
}

function required(args: Args, name: string): string {
  const v = asString(args[name]);
  if (v === undefined || v === '') throw new ApiError('invalid_arguments', { response_metadata: { messages: [`[ERROR] missing required field: ${name}`] } });
  return v;
}

const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const truthy = (v: unknown): boolean => v === true || v === 'true';
