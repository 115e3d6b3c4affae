/**
 * A local stand-in for Slack, enforcing the wire contract in shared/research/slack_contract.md:
 * signed form-encoded slash commands and block_actions sent to the app; the Web API answered with
 * HTTP 200 {ok:false,error} for API errors; Block Kit validated on every message; response_url
 * good for 5 posts within 30 minutes; Socket Mode when given an app-level token.
 *
 * What Slack would have refused or shown as an error is recorded in `problems`, so a test can
 * assert that the app never broke the contract.
 *
 * Interceptors (`use`) see every Web API call and response_url post first and may answer it
 * themselves: the hook tests use to inject failures (see the ./faults entry point).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postToApp, type AppReply, type SignOptions } from './requests.js';
import { ResponseUrls, type TextAnswer } from './response-urls.js';
import { SocketMode } from './socket-mode.js';
import { ApiError, webApiMethod, type MethodContext } from './web-api.js';
import { asString, messageProblems, Workspace, type Args, type StoredMessage, type WorkspaceOptions } from './workspace.js';

export interface EmulatorOptions extends WorkspaceOptions {
  botToken: string;
  signingSecret: string;
  command?: string;
  /** App-level token (xapp-…): with it the app may connect in Socket Mode (apps.connections.open). */
  appToken?: string;
  /** Where to listen; by default a free port on 127.0.0.1. */
  port?: number;
  host?: string;
  /** More HTTP routes on the same server (the local console); returns true when it answered. */
  routes?: (req: IncomingMessage, res: ServerResponse, path: string, body: string) => Promise<boolean>;
}

export interface ApiCallRecord {
  at: number;
  method: string;
  /** The call's arguments with any token removed. */
  args: Args;
  status: number;
  response: Args;
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

/** A call an interceptor sees before the emulator serves it. */
export interface InterceptedCall {
  /** The Web API method (e.g. 'chat.postMessage'), or 'response_url' for a post to a response URL. */
  method: string;
  /** The request as sent: its body (tokens included) and Content-Type. */
  body: string;
  contentType: string | undefined;
}

/** An interceptor's own answer: a JSON object for Web API calls, plain text for response_url posts. */
export interface InterceptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body: Args | string;
}

/** Answers a call itself, or returns undefined to leave it to the next interceptor and then the emulator. */
export type Interceptor = (call: InterceptedCall) => InterceptedAnswer | undefined;

/** Pass as the app's URL to deliver over the app's Socket Mode connection instead of HTTP. */
export const SOCKET_MODE = 'socket-mode:';

export class SlackEmulator {
  readonly calls: ApiCallRecord[] = [];
  /** Contract breaches: what Slack would have refused, or shown the user as an error. */
  readonly problems: string[] = [];
  url = '';
  private readonly workspace: Workspace;
  private readonly responseUrls: ResponseUrls;
  private readonly interceptors: Interceptor[] = [];
  private readonly server: http.Server;
  private socketMode: SocketMode | undefined;

  protected constructor(private readonly opts: EmulatorOptions) {
    this.workspace = new Workspace(opts);
    this.responseUrls = new ResponseUrls(this.workspace, this.problems);
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
  }

  static async start(opts: EmulatorOptions): Promise<SlackEmulator> {
    const emulator = new SlackEmulator(opts);
    await emulator.listen();
    return emulator;
  }

  /** Listens as the options say; `start` calls it (and so must a subclass's own `start`). */
  protected async listen(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, host, resolve);
    });
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    this.url = `http://${shownHost}:${(this.server.address() as AddressInfo).port}`;
    if (this.opts.appToken !== undefined) this.socketMode = new SocketMode(this.server, this.problems);
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async stop(): Promise<void> {
    this.workspace.touch();
    this.socketMode?.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Puts `interceptor` in front of the Web API and response URLs, after any already in use. The
   * first one that answers a call answers it; returns a function that takes the interceptor out.
   */
  use(interceptor: Interceptor): () => void {
    this.interceptors.push(interceptor);
    return () => {
      const i = this.interceptors.indexOf(interceptor);
      if (i >= 0) this.interceptors.splice(i, 1);
    };
  }

  /** Grows by one with every change to a message; `changedSince` waits for the next. */
  get revision(): number {
    return this.workspace.revision;
  }

  /** Resolves at once if anything changed after `revision`, else at the next change or the timeout. */
  changedSince(revision: number, timeoutMs: number): Promise<void> {
    return this.workspace.changedSince(revision, timeoutMs);
  }

  /** The members of the workspace, as given at start. */
  get users(): readonly { id: string; name: string }[] {
    return this.opts.users;
  }

  get channels(): readonly string[] {
    return this.opts.channels;
  }

  /** Modals opened with views.open, newest last. */
  get views(): Args[] {
    return this.workspace.views;
  }

  messages(channel?: string): StoredMessage[] {
    return this.workspace.store.filter((m) => !m.deleted && (channel === undefined || m.channel === channel));
  }

  /** Is an app connected in Socket Mode? */
  get socketConnected(): boolean {
    return this.socketMode?.connected ?? false;
  }

  async sendSlashCommand(
    url: string,
    input: SlashCommandInput,
    sign: SignOptions = {},
  ): Promise<AppReply & { json?: Args; responseUrl: string; triggerId: string }> {
    const channel = input.channelId ?? this.opts.channels[0] ?? 'C0GENERAL';
    const responseUrl = this.responseUrls.mint(this.url, { channel, user: input.userId });
    const triggerId = this.workspace.issueTrigger(input.triggerId);
    const user = this.opts.users.find((u) => u.id === input.userId);
    const form = new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: this.workspace.teamId,
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
    const message = this.workspace.store.find((m) => m.channel === input.channelId && m.ts === input.messageTs && !m.deleted);
    if (message === undefined) throw new Error(`no message ${input.messageTs} in ${input.channelId} to click on`);
    const shown = input.seenBlocks ?? message.blocks ?? [];
    const found = findButton(shown, input.actionId, input.value, input.blockId);
    if (found === undefined) {
      const withValue = input.value === undefined ? '' : ` with value ${input.value}`;
      throw new Error(`message ${input.messageTs} has no button ${input.actionId}${withValue}`);
    }
    const user = this.opts.users.find((u) => u.id === input.userId);
    const teamId = this.workspace.teamId;
    const payload = {
      type: 'block_actions',
      api_app_id: 'A0EMULATED',
      token: 'deprecated-verification-token',
      trigger_id: this.workspace.issueTrigger(),
      team: { id: teamId, domain: 'emulated' },
      is_enterprise_install: false,
      user: { id: input.userId, username: user?.name ?? input.userId, name: user?.name ?? input.userId, team_id: teamId },
      container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: message.ephemeral },
      channel: { id: message.channel, name: message.channel.toLowerCase() },
      message: { type: 'message', ts: message.ts, text: message.text ?? '', bot_id: 'B0EMULATED', user: 'U0BOT', blocks: shown },
      state: { values: {} },
      response_url: this.responseUrls.mint(this.url, { channel: message.channel, user: input.userId, messageTs: message.ts }),
      actions: [{ ...found.button, block_id: found.blockId, action_ts: this.workspace.nextTs() }],
    };
    const reply = await this.deliver(url, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), sign);
    if (reply.status !== 200) this.problems.push(`block_actions ${input.actionId}: app answered ${reply.status}`);
    return reply;
  }

  private async deliver(url: string, body: string, sign: SignOptions): Promise<AppReply> {
    if (url !== SOCKET_MODE) return postToApp(url, body, this.opts.signingSecret, sign, this.problems);
    if (this.socketMode === undefined) throw new Error('no app is connected in Socket Mode');
    return this.socketMode.deliver(body);
  }

  /** What a 200 ack shows the user, as Slack would: JSON as a message, plain text as its text. */
  private recordAck(reply: AppReply, channel: string, user: string): Args | undefined {
    if (reply.status !== 200 || reply.body === '') return undefined;
    let json: Args;
    try {
      json = JSON.parse(reply.body) as Args;
    } catch {
      this.workspace.post({ channel, text: reply.body, ephemeral: true, user, source: 'ack' });
      return undefined;
    }
    const problems = messageProblems(json, false);
    if (problems.length > 0) this.problems.push(`slash command ack: ${problems.join('; ')}`);
    else if (json.text !== undefined || json.blocks !== undefined) {
      const blocks = json.blocks as unknown[] | undefined;
      const ephemeral = json.response_type !== 'in_channel';
      this.workspace.post({ channel, text: asString(json.text), blocks, ephemeral, user, source: 'ack' });
    }
    return json;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (req.method === 'POST' && path.startsWith('/api/')) return this.api(path.slice('/api/'.length), req, body, res);
    if (req.method === 'POST' && path.startsWith('/response/')) return this.respond(path.slice('/response/'.length), req, body, res);
    if (this.opts.routes !== undefined && (await this.opts.routes(req, res, path, body))) return;
    res.writeHead(404).end('not found');
  }

  /** The first interceptor's answer to the call, if any answers. */
  private intercept(method: string, req: IncomingMessage, body: string): InterceptedAnswer | undefined {
    const call: InterceptedCall = { method, body, contentType: req.headers['content-type'] };
    for (const interceptor of this.interceptors) {
      const answer = interceptor(call);
      if (answer !== undefined) return answer;
    }
    return undefined;
  }

  private api(method: string, req: IncomingMessage, body: string, res: ServerResponse): void {
    const args = parseArgs(req.headers['content-type'], body);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? asString(args.token);
    delete args.token;
    const reply = (status: number, response: Args, headers: Record<string, string> = {}): void => {
      this.calls.push({ at: Date.now(), method, args, status, response });
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(response));
    };
    const intercepted = this.intercept(method, req, body);
    if (intercepted !== undefined) {
      if (typeof intercepted.body !== 'string') return reply(intercepted.status, intercepted.body, intercepted.headers);
      this.calls.push({ at: Date.now(), method, args, status: intercepted.status, response: { body: intercepted.body } });
      res.writeHead(intercepted.status, { 'Content-Type': 'text/plain', ...intercepted.headers }).end(intercepted.body);
      return;
    }
    if (token === undefined || token === '') return reply(200, { ok: false, error: 'not_authed' });
    const entry = webApiMethod(method);
    if (entry.token === 'app') {
      if (token === this.opts.botToken) return reply(200, { ok: false, error: 'not_allowed_token_type' });
      if (this.opts.appToken === undefined || token !== this.opts.appToken) return reply(200, { ok: false, error: 'invalid_auth' });
    } else if (token !== this.opts.botToken) return reply(200, { ok: false, error: 'invalid_auth' });
    const ctx: MethodContext = { workspace: this.workspace, openSocket: () => this.openSocket() };
    let response: Args;
    try {
      response = entry.call(ctx, args);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return reply(200, { ok: false, error: err.code, ...err.extra });
    }
    reply(200, { ok: true, ...response });
  }

  private openSocket(): string {
    if (this.socketMode === undefined) throw new ApiError('invalid_auth');
    return this.socketMode.openUrl(this.url);
  }

  private respond(id: string, req: IncomingMessage, body: string, res: ServerResponse): void {
    const intercepted = this.intercept('response_url', req, body);
    const send = (answer: TextAnswer, headers: Record<string, string> = {}): void => {
      res.writeHead(answer.status, { 'Content-Type': 'text/plain', ...headers }).end(answer.body);
    };
    if (intercepted === undefined) return send(this.responseUrls.post(id, () => parseArgs(req.headers['content-type'], body)));
    const text = typeof intercepted.body === 'string' ? intercepted.body : JSON.stringify(intercepted.body);
    send({ status: intercepted.status, body: text }, intercepted.headers);
  }
}

function findButton(
  blocks: unknown[],
  actionId: string,
  value: string | undefined,
  blockId: string | undefined,
): { button: Args; blockId: string } | undefined {
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
