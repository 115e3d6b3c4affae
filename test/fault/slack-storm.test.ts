import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { InjectedFailure } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Slack answering chat.postMessage, chat.update and response URLs with bursts of 5xx and 429
 * while jobs run: every command still gets its reply, every job exactly one status message, the updates that Slack accepted for it arrive
 * in the order the job made them, and the last one shows how the job ended. A final status
 * Slack refuses through every retry is kept, and delivered once Slack takes updates again.
 */
const JOBS = 6;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ secret: 'storm-signing-secret', token: 'xoxb-storm-token', env: { STATUS_RETRY_MS: '2000' } });
});

afterAll(async () => {
  await stack?.stop();
});

const e500: InjectedFailure = { status: 500 };
const e502: InjectedFailure = { status: 502 };
const e503: InjectedFailure = { status: 503 };
const limited: InjectedFailure = { status: 429, retryAfterSec: 1 };

/** How far along a rendered status is: steps done, then the hold step's "n/3", then the end. */
function progressOf(blocksJson: string): number {
  const done = (blocksJson.match(/:white_check_mark: /g) ?? []).length;
  const hold = Number(/Hold 3000 ms[^\\]*?(\d)\/3/.exec(blocksJson)?.[1] ?? 0);
  const ended = /succeeded|failed/.test(blocksJson) ? 1000 : 0;
  return ended + done * 10 + hold;
}

it('delivers every status message, in order per job, through storms of 5xx and 429', async () => {
  stack.slack.storm('chat.postMessage', [e503, 'ok', limited, e500, 'ok', 'ok', e502]);
  stack.slack.storm('chat.update', [e500, 'ok', limited, e503, 'ok', e502, e500, 'ok', limited, 'ok']);
  stack.slack.storm('response_url', [e503, 'ok', limited, 'ok', e500, 'ok']);

  await Promise.all(
    Array.from({ length: JOBS }, async () => {
      const res = await stack.command('ping --hold 3');
      expect(res.status).toBe(200);
    }),
  );
  const jobIds = await eventually(
    'every command to be answered with its job id',
    () => {
      const ids = stack.slack
        .messages()
        .flatMap((m) => (m.ephemeral ? [/Queued job `([a-z0-9]{12})`/.exec(m.text ?? '')?.[1]] : []))
        .filter((id) => id !== undefined);
      return ids.length === JOBS ? ids : undefined;
    },
    60_000,
  ).catch((err: unknown) => {
    throw new Error(
      `${String(err)}\n${stack.bot
        .output()
        .split('\n')
        .filter((l) => /response_url|warn|error/.test(l))
        .slice(-20)
        .join('\n')}`,
    );
  });

  const statusOf = (id: string) => stack.statusMessages(id);
  await eventually(
    'every job to show how it ended',
    () => jobIds.every((id) => statusOf(id).some((m) => /succeeded|failed/.test(JSON.stringify(m.blocks)))),
    180_000,
  ).catch((err: unknown) => {
    const shown = jobIds.map(
      (id) =>
        `${id}: ${statusOf(id)
          .map((m) => /— ([^*]+)\*/.exec(JSON.stringify(m.blocks))?.[1] ?? '?')
          .join(', ')}`,
    );
    throw new Error(
      `${String(err)}\n${shown.join('\n')}\n${stack.bot
        .output()
        .split('\n')
        .filter((l) => /warn|error/.test(l))
        .slice(-30)
        .join('\n')}`,
    );
  });
  stack.slack.storm('chat.postMessage', undefined);
  stack.slack.storm('chat.update', undefined);
  stack.slack.storm('response_url', undefined);

  const failures = stack.slack.calls.filter((c) => c.status !== 200).length;
  expect(failures).toBeGreaterThan(JOBS);
  for (const id of jobIds) {
    const messages = statusOf(id);
    expect(messages).toHaveLength(1);
    const final = JSON.stringify(messages[0]?.blocks);
    expect(final).toContain('succeeded');
    const accepted = stack.slack.calls
      .filter((c) => c.method === 'chat.update' && c.status === 200 && c.args.ts === messages[0]?.ts)
      .map((c) => progressOf(typeof c.args.blocks === 'string' ? c.args.blocks : JSON.stringify(c.args.blocks)));
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted).toEqual([...accepted].sort((a, b) => a - b));
    expect(accepted.at(-1)).toBeGreaterThanOrEqual(1000);
  }
}, 240_000);

it('keeps a final status Slack refused through every retry, and delivers it once Slack answers again', async () => {
  const before = stack.bot.output().length;
  const logSince = (): string => stack.bot.output().slice(before);
  stack.slack.storm('chat.update', [e503]);
  try {
    const earlier = stack.slack.messages().filter((m) => m.ephemeral).length;
    const replies = (): string[] =>
      stack.slack
        .messages()
        .filter((m) => m.ephemeral)
        .slice(earlier)
        .map((m) => m.text ?? '');
    await stack.command('ping');
    const id = await eventually('the job id', () =>
      replies()
        .map((t) => /Queued job `([a-z0-9]{12})`/.exec(t)?.[1])
        .find((x) => x !== undefined),
    );
    // The Web API client retries for about 45 s before the worker gives the final status up to Redis.
    await eventually(
      'the final status to be kept for later',
      () => (/"final":true[^\n]*could not publish job status/.test(logSince()) ? true : undefined),
      120_000,
    );
    const status = stack.slack.messages('C0OPS').filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${id}\``));
    expect(status).toHaveLength(1);
    expect(JSON.stringify(status[0]?.blocks)).not.toContain('succeeded');
    stack.slack.storm('chat.update', undefined);
    const shown = await eventually(
      'the kept status to be delivered',
      () => {
        const text = JSON.stringify(stack.slack.messages('C0OPS').find((m) => m.ts === status[0]?.ts)?.blocks ?? []);
        return text.includes('succeeded') ? text : undefined;
      },
      30_000,
    );
    expect(shown).toContain('ping');
    await eventually(
      'the worker to log the late delivery',
      () => (logSince().includes('final status delivered late') ? true : undefined),
      10_000,
    );
    expect(
      stack.slack.messages('C0OPS').filter((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${id}\``)),
    ).toHaveLength(1);
  } finally {
    stack.slack.storm('chat.update', undefined);
  }
}, 180_000);
