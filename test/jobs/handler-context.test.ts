import { expect, it } from '@jest/globals';
import { renderJobStatus } from '../../src/bot/render/job-status.js';
import { jobHandlers } from '../../src/jobs/catalog/handlers/index.js';
import type { JobEntry } from '../../src/jobs/engine/worker.js';
import { echoHandler } from '../fixtures/toy/echo.js';
import { MemoryJobContext, runJob } from '../support/job-context.js';

/** Handlers run directly on an in-memory JobContext: no Redis, no worker, no Slack. */
const ping = jobHandlers.find((h) => h.kind.type === 'ping') as JobEntry;

it('runs ping: its steps by key, with their notes, and the result its status message shows', async () => {
  const ctx = new MemoryJobContext({ redisRoundTripMs: 0.7 });
  const result = await runJob(ping, ctx, { holdMs: 200 });
  expect(ctx.steps.map((s) => [s.key, s.name, s.state])).toEqual([
    ['picked-up-by-a-worker', 'Picked up by a worker', 'done'],
    ['redis-round-trip', 'Redis round trip', 'done'],
    ['hold', 'Hold 200 ms', 'done'],
  ]);
  expect(ctx.stepNamed('redis-round-trip')?.result).toBe(0.7);
  expect(ctx.notes).toEqual([{ key: 'hold', detail: '1/1' }]);
  expect(result.summary).toMatch(/^Pong: queue latency \d+ ms, worker \d+ ms$/);
  expect(result.fields).toContainEqual({ label: 'Redis round trip', value: '0.7 ms' });
  const shown = JSON.stringify(renderJobStatus(ctx.view('succeeded', { result, finishedAt: Date.now() })).blocks);
  expect(shown).toContain('succeeded');
  expect(shown).toContain(':white_check_mark: Hold 200 ms');
  expect(shown).toContain('Pong: queue latency');
});

it('does not run again a step recorded as done under its key, whatever its title was, and returns its result', async () => {
  const startedAt = Date.now() - 1000;
  const ctx = new MemoryJobContext({
    steps: [
      { key: 'redis-round-trip', name: 'Measure Redis (an older title)', state: 'done', startedAt, endedAt: startedAt + 5, result: 4242 },
      { key: 'hold', name: 'Hold 200 ms', state: 'running', startedAt },
    ],
  });
  expect(ctx.interruptedAt({ key: 'hold', title: 'Hold 200 ms' })).toBe(startedAt);
  const result = await runJob(ping, ctx, { holdMs: 200 });
  expect(result.fields).toContainEqual({ label: 'Redis round trip', value: '4242 ms' });
  expect(ctx.stepNamed('redis-round-trip')).toMatchObject({ name: 'Measure Redis (an older title)', endedAt: startedAt + 5 });
  expect(ctx.stepNamed('hold')?.state).toBe('done');

  const echoed = new MemoryJobContext({ steps: [{ key: 'say', name: 'Say it', state: 'done', startedAt, result: 'hi hi' }] });
  expect((await runJob(echoHandler, echoed, { word: 'hello', times: 3 })).summary).toBe('said hi hi');
  expect(echoed.notes).toEqual([]);
});

it('stops at a cancellation: the running step fails as cancelled, and no later step starts', async () => {
  const ctx = new MemoryJobContext();
  const run = runJob(ping, ctx, { holdMs: 5000 });
  setTimeout(() => ctx.cancel('U0BOB'), 300);
  await expect(run).rejects.toThrow('cancelled by <@U0BOB>');
  expect(ctx.stepNamed('hold')?.state).toBe('failed');
  await expect(ctx.step({ key: 'later', title: 'Later' }, async () => 'ran')).rejects.toThrow('cancelled by <@U0BOB>');
  expect(ctx.stepNamed('later')).toBeUndefined();
});
