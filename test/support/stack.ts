import path from 'node:path';
import {
  SOCKET_MODE,
  SlackEmulator,
  type AppReply,
  type SignOptions,
  type SlashCommandInput,
  type StoredMessage,
} from '../slack/emulator.js';
import { eventually, startApp, type AppProcess } from './app-process.js';
import { startTestRedis, type TestRedis } from './redis.js';

/**
 * One test file's whole stack, as the files used to build it by hand: a private redis-server, the
 * Slack emulator, and the bot and workers as real processes (`node dist/main.js`), with the helpers
 * every file needs to talk to them as Slack would. `stop()` tears down whatever was started.
 */
export interface StackOptions {
  /**
   * The process that serves Slack: one `all` process, bot and worker at once (the default); a
   * `bot` alone; or `none` (start one later with startBot, or none at all).
   */
  bot?: 'all' | 'bot' | 'none';
  /** Worker processes (ROLE=worker), started before the bot. Default 0. */
  workers?: number;
  /** FABRIC_CHATOPS_CONFIG; false leaves it unset (the bundled example). Default test/support/test-config.yaml. */
  config?: string | false;
  /** More environment for every process. */
  env?: Record<string, string>;
  /** More environment for the bot only, and for the workers only (over `env`). */
  botEnv?: Record<string, string>;
  workerEnv?: Record<string, string>;
  /** The Slack emulator's and the app's credentials. */
  secret?: string;
  token?: string;
  /** With an app-level token the bot connects over Socket Mode, and is given no signing secret. */
  appToken?: string;
  channels?: string[];
  /** Members of the workspace: an id alone is named after itself in lower case. */
  users?: Array<string | { id: string; name: string }>;
  usergroups?: Record<string, string[]>;
  /** false: no emulator and no SLACK_ variable (the local console); or an emulator to share, left running by stop(). */
  slack?: false | SlackEmulator;
  /** false: no Redis of the stack's own (give REDIS_URL in env); or how to run it. */
  redis?: false | { fsyncEveryWrite?: boolean };
}

export interface CommandOptions {
  user?: string;
  channel?: string;
  triggerId?: string;
  /** How to sign (or missign) the request; the stack's secret by default. */
  sign?: SignOptions;
}

export type CommandReply = Awaited<ReturnType<SlackEmulator['sendSlashCommand']>> & {
  /** The sender's newest ephemeral message, once one came after the command was sent (an ack's text included). */
  answer(timeoutMs?: number): Promise<StoredMessage>;
};

export interface ClickOptions {
  user: string;
  value?: string;
  /** The blocks as the clicker's client still shows them (a lagging or forged client). */
  seenBlocks?: unknown[];
  sign?: SignOptions;
}

export interface Stack {
  readonly redis: TestRedis;
  readonly slack: SlackEmulator;
  /** The process serving Slack now (the last one startBot started). */
  readonly bot: AppProcess;
  /** The workers started, oldest first; replaceWorker takes out the one it kills. */
  readonly workers: readonly AppProcess[];
  /** Every process the stack started, in order, stopped or not. */
  readonly processes: readonly AppProcess[];
  /** Where the emulator delivers: the bot's /slack/events, or its Socket Mode connection. */
  readonly events: string;
  readonly secret: string;
  readonly token: string;
  /** The environment every process gets (before botEnv, workerEnv and per-call extras). */
  readonly commonEnv: Readonly<Record<string, string>>;
  command(text: string, opts?: CommandOptions): Promise<CommandReply>;
  /** Waits for the ephemeral answer `user` gets after the `before`-th one, and returns its text. */
  answerTo(user: string, before: number, timeoutMs?: number): Promise<string>;
  ephemeralFor(user: string): StoredMessage[];
  /** Clicks `actionId` on the message (in its channel) as `opts.user`. */
  click(message: Pick<StoredMessage, 'channel' | 'ts'>, actionId: string, opts: ClickOptions): Promise<AppReply>;
  /** The status messages of a job in `channel` (the first channel by default). */
  statusMessages(jobId: string, channel?: string): StoredMessage[];
  statusOf(jobId: string, channel?: string): StoredMessage | undefined;
  /** A message's text and blocks, as one string to search ('' for none). */
  lastText(m: StoredMessage | undefined): string;
  startWorker(extraEnv?: Record<string, string>): Promise<AppProcess>;
  /** Starts a bot (ROLE=bot) that serves Slack from now on; an earlier one keeps running. */
  startBot(extraEnv?: Record<string, string>): Promise<AppProcess>;
  /** Any process with the stack's environment, stopped with the stack. */
  startProcess(role: 'all' | 'bot' | 'worker', extraEnv?: Record<string, string>): Promise<AppProcess>;
  /** Freezes the worker (its index in `workers`, or itself), kills it, and starts another in its place. */
  replaceWorker(which: number | AppProcess, extraEnv?: Record<string, string>): Promise<AppProcess>;
  /** Bots, then workers, then the emulator, then Redis; whatever was started. */
  stop(): Promise<void>;
}

const DEFAULT_CONFIG = path.resolve('test/support/test-config.yaml');

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const secret = options.secret ?? 'stack-signing-secret';
  const token = options.token ?? 'xoxb-stack-token';
  const channels = options.channels ?? ['C0OPS'];
  const members = options.users ?? [{ id: 'U0ALICE', name: 'alice' }];
  const users = members.map((u) => (typeof u === 'string' ? { id: u, name: u.toLowerCase() } : u));
  const processes: AppProcess[] = [];
  const workers: AppProcess[] = [];
  const bots: AppProcess[] = [];
  let redis: TestRedis | undefined;
  let slack: SlackEmulator | undefined;
  const ownSlack = !(options.slack instanceof SlackEmulator);
  const commonEnv: Record<string, string> = {};

  const stop = async (): Promise<void> => {
    const problems: unknown[] = [];
    const attempt = async (f: () => Promise<unknown>): Promise<void> => {
      await f().catch((err: unknown) => problems.push(err));
    };
    for (const b of bots) await attempt(() => b.stop());
    for (const p of processes) if (!bots.includes(p)) await attempt(() => p.stop());
    if (ownSlack && slack !== undefined) await attempt(() => (slack as SlackEmulator).stop());
    if (redis !== undefined) await attempt(() => (redis as TestRedis).stop());
    if (problems.length > 0) throw problems[0];
  };

  const startProcess = async (role: 'all' | 'bot' | 'worker', extraEnv: Record<string, string> = {}): Promise<AppProcess> => {
    const own = role === 'worker' ? options.workerEnv : options.botEnv;
    const p = await startApp({ ...commonEnv, ...own, ...extraEnv, ROLE: role });
    processes.push(p);
    if (role === 'worker') workers.push(p);
    else bots.push(p);
    return p;
  };

  try {
    if (options.redis !== false) redis = await startTestRedis(options.redis ?? {});
    if (options.slack instanceof SlackEmulator) slack = options.slack;
    else if (options.slack !== false) {
      slack = await SlackEmulator.start({
        botToken: token,
        signingSecret: secret,
        channels,
        users,
        ...(options.usergroups === undefined ? {} : { usergroups: options.usergroups }),
        ...(options.appToken === undefined ? {} : { appToken: options.appToken }),
      });
    }
    if (slack !== undefined) {
      Object.assign(commonEnv, { SLACK_BOT_TOKEN: token, SLACK_API_URL: slack.apiUrl });
      Object.assign(commonEnv, options.appToken === undefined ? { SLACK_SIGNING_SECRET: secret } : { SLACK_APP_TOKEN: options.appToken });
    }
    if (redis !== undefined) commonEnv.REDIS_URL = redis.url;
    const config = options.config ?? DEFAULT_CONFIG;
    if (config !== false) commonEnv.FABRIC_CHATOPS_CONFIG = config;
    Object.assign(commonEnv, options.env);
    for (let i = 0; i < (options.workers ?? 0); i++) await startProcess('worker');
    const bot = options.bot ?? 'all';
    if (bot !== 'none') await startProcess(bot);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }

  const need = <T>(what: T | undefined, name: string): T => {
    if (what === undefined) throw new Error(`this stack has no ${name}`);
    return what;
  };
  const emulator = (): SlackEmulator => need(slack, 'Slack emulator');
  const currentBot = (): AppProcess => need(bots.at(-1), 'bot');
  const events = (): string => (options.appToken === undefined ? `${currentBot().url}/slack/events` : SOCKET_MODE);
  const ephemeralFor = (user: string): StoredMessage[] =>
    emulator()
      .messages()
      .filter((m) => m.ephemeral && m.user === user);
  /** The newest ephemeral message `user` has, once there are more than `before`. */
  const answerAfter = (user: string, before: number, label: string, timeoutMs: number): Promise<StoredMessage> =>
    eventually(
      label,
      () => {
        const mine = ephemeralFor(user);
        return mine.length > before ? mine.at(-1) : undefined;
      },
      timeoutMs,
    );
  const statusMessages = (jobId: string, channel = channels[0]): StoredMessage[] =>
    emulator()
      .messages(channel)
      .filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${jobId}\``));

  return {
    get redis() {
      return need(redis, 'Redis of its own');
    },
    get slack() {
      return emulator();
    },
    get bot() {
      return currentBot();
    },
    get events() {
      return events();
    },
    workers,
    processes,
    secret,
    token,
    commonEnv,
    async command(text, opts = {}) {
      const user = opts.user ?? (users[0]?.id as string);
      const before = ephemeralFor(user).length;
      const input: SlashCommandInput = { text, userId: user, channelId: opts.channel ?? (channels[0] as string) };
      if (opts.triggerId !== undefined) input.triggerId = opts.triggerId;
      const reply = await emulator().sendSlashCommand(events(), input, { secret, ...opts.sign });
      return { ...reply, answer: (timeoutMs = 15_000) => answerAfter(user, before, `the answer to ${text}`, timeoutMs) };
    },
    async answerTo(user, before, timeoutMs = 15_000) {
      return (await answerAfter(user, before, 'an ephemeral answer', timeoutMs)).text ?? '';
    },
    ephemeralFor,
    click(message, actionId, opts) {
      const input = {
        userId: opts.user,
        channelId: message.channel,
        messageTs: message.ts,
        actionId,
        ...(opts.value === undefined ? {} : { value: opts.value }),
        ...(opts.seenBlocks === undefined ? {} : { seenBlocks: opts.seenBlocks }),
      };
      return emulator().clickButton(events(), input, { secret, ...opts.sign });
    },
    statusMessages,
    statusOf: (jobId, channel) => statusMessages(jobId, channel)[0],
    lastText: (m) => (m === undefined ? '' : `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`),
    startWorker: (extraEnv) => startProcess('worker', extraEnv),
    startBot: (extraEnv) => startProcess('bot', extraEnv),
    startProcess,
    async replaceWorker(which, extraEnv) {
      const worker = typeof which === 'number' ? workers[which] : which;
      if (worker === undefined || !workers.includes(worker)) throw new Error('replaceWorker: not one of the running workers');
      worker.child.kill('SIGSTOP');
      await worker.kill();
      workers.splice(workers.indexOf(worker), 1);
      return startProcess('worker', extraEnv);
    },
    stop,
  };
}
