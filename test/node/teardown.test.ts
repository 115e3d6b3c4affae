import { expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { isAlive, startEnvironment } from '../infra/env/environment.js';
import { nodeCgroupProcesses } from '../infra/env/real-node/host-state.js';
import { processesMentioning, snapshotHost } from './host-snapshot.js';
import { apply, busyboxPod, kubectl } from './support.js';

it('an environment with a real node, stopped, leaves no process, mount, interface, container, iptables chain, cgroup or setting behind', async () => {
  const before = snapshotHost();
  const env = await startEnvironment({ realNode: true });
  const { details } = env;
  let stopped = false;
  try {
    const node = details.realNode;
    if (node === undefined) throw new Error('no real node');
    await apply(details, busyboxPod(node, 'default', 'sleeper', ['sleep', '3600']));
    await kubectl(details, ['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=60s']);
    const during = snapshotHost();
    // The node really changed the machine: what teardown must undo is there.
    expect(during.interfaces.length).toBeGreaterThan(before.interfaces.length);
    expect(during.mounts.length).toBeGreaterThan(before.mounts.length);
    expect(during.rules.some((r) => r.includes('KUBE-SERVICES'))).toBe(true);
    expect(during.cgroups).toContain('memory/fabric-chatops-node');
    const containers = nodeCgroupProcesses();
    expect(containers.length).toBeGreaterThanOrEqual(2); // the sandbox's pause and sleep
    const started = [...details.pids, ...containers, ...processesMentioning(details.dir)];

    await env.stop();
    stopped = true;
    expect(started.filter(isAlive)).toEqual([]);
    expect(processesMentioning(details.dir)).toEqual([]);
    expect(existsSync(details.dir)).toBe(false);
    expect(snapshotHost()).toEqual(before);
  } finally {
    if (!stopped) await env.stop().catch(() => undefined);
  }
}, 180_000);
