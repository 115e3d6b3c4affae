import type { WebClient } from '@slack/web-api';
import type { JobReporter } from '../jobs/engine/types.js';
import type { JobView, StatusMessageRef } from '../jobs/engine/types.js';
import type { Logger } from '../log.js';
import type { Approvals } from '../jobs/services/approvals.js';
import { slackApiErrors } from '../metrics.js';
import { renderApprovalCard } from './render/approval.js';
import { renderJobStatus } from './render/job-status.js';
import { slackText, type Rendered } from './render/text.js';

interface MessageState {
  lastSentAt: number;
  /** Sends to one message run one after another, so Slack sees them in order. */
  chain: Promise<void>;
  /** The newest status not yet sent, waiting for the interval to pass. */
  latest?: Rendered;
  timer?: NodeJS.Timeout;
}

export function slackErrorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { data?: { error?: unknown }; code?: unknown };
    if (typeof e.data?.error === 'string') return e.data.error;
    if (typeof e.code === 'string') return e.code;
  }
  return 'unknown';
}

/**
 * Shows each job as one Slack message: posted when the job starts, then updated in place,
 * its progress at most once per `minIntervalMs` (chat.update is Tier 3). Intermediate states
 * that arrive faster are coalesced into the newest. The final state is sent last and at once
 * (one more call, a burst Slack allows; a 429 is waited out by the client), and publish rejects
 * when Slack does not take it (the worker then keeps it for a later try: see UndeliveredStatuses).
 */
export class SlackStatusPublisher implements JobReporter {
  private readonly messages = new Map<string, MessageState>();

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
    private readonly minIntervalMs = 1000,
    private readonly approvals?: Approvals,
  ) {}

  async approvalChanged(approvalId: string, job?: JobView): Promise<void> {
    const approval = await this.approvals?.get(approvalId);
    if (approval?.card === undefined) return;
    const rendered = renderApprovalCard(approval, job);
    await this.call('chat.update', () =>
      this.client.chat.update({
        channel: approval.card?.channel ?? '',
        ts: approval.card?.ts ?? '',
        text: slackText(rendered.text),
        blocks: rendered.blocks,
      }),
    );
  }

  async publish(view: JobView, message: StatusMessageRef | undefined, final: boolean): Promise<StatusMessageRef | undefined> {
    const rendered = renderJobStatus(view);
    if (message === undefined) {
      const res = await this.call('chat.postMessage', () =>
        this.client.chat.postMessage({ channel: view.channel, text: slackText(rendered.text), blocks: rendered.blocks }),
      );
      const ref = { channel: res.channel ?? view.channel, ts: res.ts ?? '' };
      this.messages.set(this.key(ref), { lastSentAt: Date.now(), chain: Promise.resolve() });
      return ref;
    }
    const state = this.stateFor(message);
    if (final) {
      // A job approved on a card (the job has the request's id) shows how it ended there too.
      if (this.approvals !== undefined)
        await this.approvalChanged(view.id, view).catch((err: unknown) =>
          this.log.warn({ err, jobId: view.id }, 'could not update the approval card'),
        );
      if (state.timer !== undefined) clearTimeout(state.timer);
      state.timer = undefined;
      // Sends already queued finish first, so none of them carries the final status (whose failure must be heard).
      await state.chain;
      state.latest = rendered;
      try {
        await this.enqueueSend(message, state, true);
      } finally {
        this.messages.delete(this.key(message));
      }
      return message;
    }
    state.latest = rendered;
    if (state.timer === undefined) {
      const wait = Math.max(0, state.lastSentAt + this.minIntervalMs - Date.now());
      state.timer = setTimeout(() => {
        state.timer = undefined;
        void this.enqueueSend(message, state);
      }, wait);
    }
    return message;
  }

  /** Waits for every pending update to be sent (for shutdown). */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.messages.entries()].map(async ([key, state]) => {
        if (state.timer !== undefined) {
          clearTimeout(state.timer);
          state.timer = undefined;
          const [channel, ts] = key.split('/') as [string, string];
          await this.enqueueSend({ channel, ts }, state);
        }
        await state.chain;
      }),
    );
  }

  /** Queues the newest status for the message; a `final` one that Slack does not take rejects. */
  private enqueueSend(message: StatusMessageRef, state: MessageState, final = false): Promise<void> {
    const send = async (): Promise<void> => {
      const rendered = state.latest;
      if (rendered === undefined) return;
      state.latest = undefined;
      const wait = final ? 0 : state.lastSentAt + this.minIntervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      try {
        await this.call('chat.update', () =>
          this.client.chat.update({ channel: message.channel, ts: message.ts, text: slackText(rendered.text), blocks: rendered.blocks }),
        );
      } catch (err) {
        this.log.warn({ err: slackErrorCode(err), channel: message.channel, ts: message.ts, final }, 'status update not delivered');
        if (final) throw err;
      } finally {
        state.lastSentAt = Date.now();
      }
    };
    const sent = state.chain.then(send, send);
    // The next send waits for this one, whatever its outcome; only this caller hears of a failure.
    state.chain = sent.catch(() => undefined);
    return sent;
  }

  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      slackApiErrors.inc({ method, error: slackErrorCode(err) });
      throw err;
    }
  }

  private stateFor(message: StatusMessageRef): MessageState {
    const key = this.key(message);
    let state = this.messages.get(key);
    if (state === undefined) {
      state = { lastSentAt: 0, chain: Promise.resolve() };
      this.messages.set(key, state);
    }
    return state;
  }

  private key(ref: StatusMessageRef): string {
    return `${ref.channel}/${ref.ts}`;
  }
}
