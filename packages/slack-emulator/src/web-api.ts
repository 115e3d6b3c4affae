/**
 * The Web API: one entry per Slack method the emulator serves, each saying which token it takes
 * and answering the call's arguments with the fields of an ok response, or throwing ApiError for
 * Slack's {ok:false,error}. The emulator does the HTTP, the token checks and the call log.
 */
import { randomBytes } from 'node:crypto';
import { validateBlocks } from './block-kit.js';
import { asString, replaceContent, type Args, type StoredMessage, type Workspace } from './workspace.js';

/** An API error: answered as HTTP 200 {ok:false, error: code, ...extra}. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Args = {},
  ) {
    super(code);
  }
}

/** What a method may use besides its arguments. */
export interface MethodContext {
  workspace: Workspace;
  /** A one-time Socket Mode URL (wss://…) for the app to connect to. */
  openSocket(): string;
}

export interface WebApiMethod {
  /** The token the method takes: the bot token (xoxb-…) or the app-level token (xapp-…). */
  token: 'bot' | 'app';
  /** The fields of the ok response; throws ApiError for Slack's errors. */
  call(ctx: MethodContext, args: Args): Args;
}

const UPDATE_TEXT_LIMIT = 4000;
const TRIGGER_LIFETIME_MS = 3000;
const VIEW_TITLE_LIMIT = 24;
const VIEW_BLOCK_LIMIT = 100;

const methods: Record<string, WebApiMethod> = {
  'auth.test': {
    token: 'bot',
    call: ({ workspace }) => ({
      url: 'https://emulated.slack.com/',
      team: 'Emulated',
      user: 'fabric-chatops',
      team_id: workspace.teamId,
      user_id: 'U0BOT',
      bot_id: 'B0EMULATED',
      is_enterprise_install: false,
    }),
  },

  'apps.connections.open': {
    token: 'app',
    call: (ctx) => ({ url: ctx.openSocket() }),
  },

  'chat.postMessage': {
    token: 'bot',
    call: ({ workspace }, args) => {
      const channel = channelArg(workspace, args);
      const blocks = blocksArg(args);
      const text = asString(args.text);
      if (text === undefined && blocks === undefined && args.attachments === undefined) throw new ApiError('no_text');
      const m = workspace.post({ channel, text, blocks, ephemeral: false, source: 'api' });
      const message = { type: 'message', subtype: 'bot_message', text: m.text ?? '', bot_id: 'B0EMULATED', ts: m.ts };
      return { channel, ts: m.ts, message: { ...message, ...(blocks === undefined ? {} : { blocks }) } };
    },
  },

  'chat.update': {
    token: 'bot',
    call: ({ workspace }, args) => {
      const { channel, ts, m } = ownMessage(workspace, args, 'cant_update_message');
      const blocks = blocksArg(args);
      const text = asString(args.text);
      if (text !== undefined && text.length > UPDATE_TEXT_LIMIT) throw new ApiError('msg_too_long');
      replaceContent(m, text, blocks);
      workspace.touch();
      return { channel, ts, text: m.text ?? '', message: { text: m.text ?? '', user: 'U0BOT' } };
    },
  },

  'chat.postEphemeral': {
    token: 'bot',
    call: ({ workspace }, args) => {
      const channel = channelArg(workspace, args);
      const user = required(args, 'user');
      if (!workspace.opts.users.some((u) => u.id === user)) throw new ApiError('user_not_in_channel');
      const blocks = blocksArg(args);
      const text = asString(args.text);
      if (text === undefined && blocks === undefined) throw new ApiError('no_text');
      const m = workspace.post({ channel, text, blocks, ephemeral: true, user, source: 'api' });
      return { message_ts: m.ts };
    },
  },

  'chat.delete': {
    token: 'bot',
    call: ({ workspace }, args) => {
      const { channel, ts, m } = ownMessage(workspace, args, 'cant_delete_message');
      m.deleted = true;
      workspace.touch();
      return { channel, ts };
    },
  },

  'users.info': {
    token: 'bot',
    call: ({ workspace }, args) => {
      const user = workspace.opts.users.find((u) => u.id === required(args, 'user'));
      if (user === undefined) throw new ApiError('user_not_found');
      const profile = { display_name: user.name, real_name: user.name };
      const { id, name } = user;
      return { user: { id, team_id: workspace.teamId, name, real_name: name, deleted: false, is_bot: false, tz: 'UTC', profile } };
    },
  },

  'usergroups.users.list': {
    token: 'bot',
    call: ({ workspace }, args) => {
      const users = workspace.opts.usergroups?.[required(args, 'usergroup')];
      if (users === undefined) throw new ApiError('no_such_subteam');
      return { users };
    },
  },

  'views.open': {
    token: 'bot',
    call: ({ workspace }, args) => {
      const trigger = workspace.triggers.get(required(args, 'trigger_id'));
      if (trigger === undefined) throw new ApiError('invalid_trigger_id');
      if (trigger.used) throw new ApiError('exchanged_trigger_id');
      if (Date.now() - trigger.issuedAt > TRIGGER_LIFETIME_MS) throw new ApiError('expired_trigger_id');
      const view = (typeof args.view === 'string' ? JSON.parse(args.view) : args.view) as Args | undefined;
      if (view === undefined || view.type !== 'modal') throw invalidArguments(['view.type must be modal']);
      const title = (view.title as Args | undefined)?.text;
      const titleOk = typeof title === 'string' && title.length > 0 && title.length <= VIEW_TITLE_LIMIT;
      const errors = [
        ...(titleOk ? [] : [`must be 1 to ${VIEW_TITLE_LIMIT} characters [json-pointer:/view/title/text]`]),
        ...validateBlocks(view.blocks, VIEW_BLOCK_LIMIT).map((e) => e.replace('json-pointer:/blocks', 'json-pointer:/view/blocks')),
      ];
      if (errors.length > 0) throw invalidArguments(errors);
      trigger.used = true;
      const id = `V${randomBytes(5).toString('hex').toUpperCase()}`;
      const opened = { ...view, id, team_id: workspace.teamId, state: { values: {} }, app_id: 'A0EMULATED', bot_id: 'B0EMULATED' };
      workspace.views.push(opened);
      return { view: opened };
    },
  },

  'conversations.info': {
    token: 'bot',
    call: ({ workspace }, args) => {
      const channel = channelArg(workspace, args);
      const flags = { is_channel: true, is_private: false, is_im: false, is_archived: false };
      return { channel: { id: channel, name: channel.toLowerCase(), ...flags } };
    },
  },
};

/** Any other method: the bot token is checked first, as for the rest, then Slack answers unknown_method. */
const unknownMethod: WebApiMethod = {
  token: 'bot',
  call: () => {
    throw new ApiError('unknown_method');
  },
};

/** The table's entry for `method`, or the one that answers unknown_method. */
export function webApiMethod(method: string): WebApiMethod {
  return Object.hasOwn(methods, method) ? (methods[method] ?? unknownMethod) : unknownMethod;
}

/** The methods the emulator serves. */
export const webApiMethods: readonly string[] = Object.keys(methods);

/** The message named by channel and ts, which the bot itself posted (only those may change). */
function ownMessage(
  workspace: Workspace,
  args: Args,
  refusal: 'cant_update_message' | 'cant_delete_message',
): { channel: string; ts: string; m: StoredMessage } {
  const channel = channelArg(workspace, args);
  const ts = required(args, 'ts');
  const m = workspace.store.find((x) => x.channel === channel && x.ts === ts && !x.deleted);
  if (m === undefined) throw new ApiError('message_not_found');
  if (m.ephemeral || m.source !== 'api') throw new ApiError(refusal);
  return { channel, ts, m };
}

function channelArg(workspace: Workspace, args: Args): string {
  const channel = asString(args.channel);
  if (channel === undefined || !workspace.opts.channels.includes(channel)) throw new ApiError('channel_not_found');
  return channel;
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
  if (errors.length > 0) {
    throw new ApiError('invalid_blocks', { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
  }
  return blocks as unknown[];
}

function required(args: Args, name: string): string {
  const v = asString(args[name]);
  if (v === undefined || v === '') throw invalidArguments([`missing required field: ${name}`]);
  return v;
}

const invalidArguments = (errors: string[]): ApiError =>
  new ApiError('invalid_arguments', { response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
