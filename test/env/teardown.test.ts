import { expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { accepts, isAlive, startEnvironment } from '../infra/env/environment.js';

it('a whole environment, started and stopped, leaves no process, listening port or directory behind', async () => {
  const env = await startEnvironment();
  const { pids, ports, dir } = env.details;
  let stopped = false;
  try {
    // etcd, kube-apiserver, controller-manager, scheduler, kwok, metrics-server, four CAs (orderer org, org1, org2, org3), three
    // orderers (a Raft set), three peers (org3's is not a member of the channels yet).
    expect(pids.length).toBe(16);
    expect(ports.length).toBeGreaterThanOrEqual(12);
    expect((await Promise.all(ports.map(accepts))).filter(Boolean).length).toBeGreaterThan(0);
    await env.stop();
    stopped = true;
    expect(pids.filter(isAlive)).toEqual([]);
    expect((await Promise.all(ports.map(async (p) => ((await accepts(p)) ? p : undefined)))).filter((p) => p !== undefined)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  } finally {
    if (!stopped) await env.stop().catch(() => undefined);
  }
});
