/**
 * What the emulated workspace holds: its members and channels, the messages in them (with their
 * edits), the trigger_ids Slack handed out, and the modals opened. The Web API methods, response
 * URLs and the requests to the app all read and change this one state.
 */
import { randomBytes } from 'node:crypto';
import { validateBlocks } from './block-kit.js';

export type Args = Record<string, unknown>;

export interface WorkspaceOptions {
  channels: string[];
  users: { id: string; name: string }[];
  usergroups?: Record<string, string[]>;
  teamId?: string;
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

export interface Trigger {
  issuedAt: number;
  used: boolean;
}

const POST_TEXT_LIMIT = 40_000;

export class Workspace {
  /** Every message ever posted, deleted ones too (marked). */
  readonly store: StoredMessage[] = [];
  readonly triggers = new Map<string, Trigger>();
  /** Modals opened with views.open, newest last. */
  readonly views: Args[] = [];
  private lastTs = 0;
  private revisionCount = 0;
  private changeWaiters: Array<() => void> = [];

  constructor(readonly opts: WorkspaceOptions) {}

  get teamId(): string {
    return this.opts.teamId ?? 'T0EMULATED';
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

  /** Marks a change: the revision moves on and whoever waits for one wakes. */
  touch(): void {
    this.revisionCount++;
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const w of waiters) w();
  }

  /** A message timestamp, unique and increasing, as Slack's "seconds.micros". */
  nextTs(): string {
    const now = Date.now() * 1000;
    this.lastTs = Math.max(now, this.lastTs + 1);
    return `${Math.floor(this.lastTs / 1e6)}.${String(this.lastTs % 1e6).padStart(6, '0')}`;
  }

  post(m: Omit<StoredMessage, 'ts' | 'edits' | 'deleted' | 'postedAt'>): StoredMessage {
    const message: StoredMessage = { ...m, ts: this.nextTs(), postedAt: Date.now(), edits: [], deleted: false };
    if (message.text !== undefined && message.text.length > POST_TEXT_LIMIT) message.text = message.text.slice(0, POST_TEXT_LIMIT);
    this.store.push(message);
    this.touch();
    return message;
  }

  /** Registers a trigger_id (a fresh one unless given), good for one views.open within 3 s. */
  issueTrigger(id = `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`): string {
    this.triggers.set(id, { issuedAt: Date.now(), used: false });
    return id;
  }
}

/** An update of a message, as Slack applies it (text without blocks removes the old blocks), recorded as an edit. */
export function replaceContent(m: StoredMessage, text: string | undefined, blocks: unknown[] | undefined): void {
  if (text !== undefined) m.text = text;
  if (blocks !== undefined) m.blocks = blocks;
  else if (text !== undefined) delete m.blocks;
  const shown = { ...(m.text === undefined ? {} : { text: m.text }), ...(m.blocks === undefined ? {} : { blocks: m.blocks }) };
  m.edits.push({ at: Date.now(), ...shown });
}

/** What Slack would refuse in a message payload from an ack or a response_url post. */
export function messageProblems(args: Args, textOptional: boolean): string[] {
  const problems: string[] = [];
  if (args.blocks !== undefined) problems.push(...validateBlocks(args.blocks).map((e) => `invalid_blocks: ${e}`));
  if (!textOptional && args.text === undefined && args.blocks === undefined && args.response_type === undefined) problems.push('no_text');
  return problems;
}

export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const truthy = (v: unknown): boolean => v === true || v === 'true';
