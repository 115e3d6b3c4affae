import type * as kinds from '../kinds.js';
import { sleep } from '../../../retry.js';
import type { JobHandler } from '../../engine/worker.js';

/**
 * Exercises the whole pipeline: how long the job waited in the queue, how long Redis
 * takes to answer the worker, and (with holdMs) a step long enough to interrupt.
 */
export const ping: JobHandler<typeof kinds.ping> = async (ctx, params) => {
  const queueLatencyMs = await ctx.step({ key: 'picked-up-by-a-worker', title: 'Picked up by a worker' }, async () =>
    Math.max(0, ctx.startedAt - ctx.queuedAt),
  );
  const redisRttMs = await ctx.step({ key: 'redis-round-trip', title: 'Redis round trip' }, () => ctx.redisRoundTripMs());
  const holdMs = params.holdMs ?? 0;
  if (holdMs > 0) {
    await ctx.step({ key: 'hold', title: `Hold ${holdMs} ms` }, async (note) => {
      const slices = Math.max(1, Math.ceil(holdMs / 1000));
      for (let i = 1; i <= slices; i++) {
        await sleep(holdMs / slices, ctx.signal);
        await note(`${i}/${slices}`);
      }
    });
  }
  const workerMs = Date.now() - ctx.startedAt;
  return {
    summary: `Pong: queue latency ${queueLatencyMs} ms, worker ${workerMs} ms`,
    fields: [
      { label: 'Queue latency', value: `${queueLatencyMs} ms` },
      { label: 'Redis round trip', value: `${redisRttMs} ms` },
      { label: 'Worker time', value: `${workerMs} ms` },
      { label: 'Attempt', value: String(ctx.attempt) },
    ],
  };
};
