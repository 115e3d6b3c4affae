import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/runtime/embedded-redis.js';

/** A private, real redis-server for one test file: its own port, data dir and append-only file. */
export interface TestRedis extends Omit<EmbeddedRedis, 'kill'> {
  client: Redis;
  /**
   * Stops the server (SIGKILL: no chance to flush anything) and, after `downMs`, starts it again
   * on the same port from the same append-only file.
   */
  crashAndRestart(downMs: number): Promise<void>;
}

export async function startTestRedis(opts: { fsyncEveryWrite?: boolean } = {}): Promise<TestRedis> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fco-redis-'));
  // DEBUG SLEEP from loopback lets a test stall Redis on purpose.
  const extraArgs = ['--enable-debug-command', 'local', ...(opts.fsyncEveryWrite === true ? ['--appendfsync', 'always'] : [])];
  let server = await startEmbeddedRedis({ dataDir, extraArgs });
  const port = Number(new URL(server.url).port);
  const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
  return {
    get url() {
      return server.url;
    },
    dataDir,
    client,
    async crashAndRestart(downMs) {
      await server.kill();
      await new Promise((r) => setTimeout(r, downMs));
      server = await startEmbeddedRedis({ dataDir, port, extraArgs });
    },
    async stop() {
      client.disconnect();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
