import { expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reapOrphans, startEnvironment, type EnvDetails } from '../infra/env/environment.js';
import { nodeCgroupProcesses } from '../infra/env/real-node/host-state.js';
import { processesMentioning, processIdentities, snapshotHost, stillRunning } from './host-snapshot.js';
import { apply, busyboxPod, kubectl } from './support.js';

it('a stopped environment with a real node leaves no process, mount, interface, container, iptables chain, ipset, cgroup, setting', async () => {
  const before = snapshotHost();
  // With peer pods: a peer pod brings a memory volume, a projected token and a provisioned
  // volume, and the environment admits pods to the network's ports.
  const env = await startEnvironment({ realNode: true, peerPods: true });
  const { details } = env;
  let stopped = false;
  try {
    const node = details.realNode;
    if (node === undefined) throw new Error('no real node');
    await apply(details, busyboxPod(node, 'default', 'sleeper', ['sleep', '3600']));
    // A policy selecting the pod: the NetworkPolicy enforcer (kube-router) makes ipsets for it.
    const deny = { podSelector: { matchLabels: { app: 'sleeper' } }, policyTypes: ['Ingress'] };
    await apply(details, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny', namespace: 'default' },
      spec: deny,
    });
    await kubectl(details, ['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=60s']);
    // Scaled by hand, not by the bot: no identity, so the pod stays in its init container,
    // its volumes mounted.
    await kubectl(details, ['scale', '-n', details.namespace, 'statefulset/org1-peer', '--replicas=1']);
    await kubectl(details, [
      'wait',
      '-n',
      details.namespace,
      '--for=jsonpath={.status.phase}=Bound',
      'pvc/ledger-org1-peer-1',
      '--timeout=60s',
    ]);
    await kubectl(details, [
      'wait',
      '-n',
      details.namespace,
      '--for=jsonpath={.status.initContainerStatuses[0].started}=true',
      'pod/org1-peer-1',
      '--timeout=60s',
    ]);
    await new Promise((r) => setTimeout(r, 3000)); // the enforcer's sync after the pod got its address
    const during = snapshotHost();
    // The node really changed the machine: what teardown must undo is there.
    expect(during.interfaces.length).toBeGreaterThan(before.interfaces.length);
    expect(during.mounts.length).toBeGreaterThan(before.mounts.length);
    expect(during.rules.some((r) => r.includes('KUBE-SERVICES'))).toBe(true);
    expect(during.rules.some((r) => r.includes('KUBE-ROUTER-FORWARD'))).toBe(true);
    expect(during.ipsets.length).toBeGreaterThan(before.ipsets.length);
    expect(during.cgroups).toContain('memory/fabric-chatops-node');
    const containers = nodeCgroupProcesses();
    expect(containers.length).toBeGreaterThanOrEqual(4); // the sandboxes' pause, sleep, the peer pod's init container
    expect(during.mounts.some((m) => m.includes('kubernetes.io~empty-dir/identity'))).toBe(true); // the memory volume, a tmpfs
    const started = processIdentities([...details.pids, ...containers, ...processesMentioning(details.dir)]);

    await env.stop();
    stopped = true;
    expect(stillRunning(started)).toEqual([]);
    expect(processesMentioning(details.dir)).toEqual([]);
    expect(existsSync(details.dir)).toBe(false);
    expect(snapshotHost()).toEqual(before);
  } finally {
    if (!stopped) await env.stop().catch(() => undefined);
  }
}, 180_000);

/** `npm run env:up` as compiled by `npm run build:infra`, with a real node; resolves once it is up. */
async function startCliEnvironment(): Promise<{ pid: number; details: EnvDetails }> {
  const cli = fileURLToPath(new URL('../../.build/test/infra/env/cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli], { env: { ...process.env, FCO_REAL_NODE: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const detailsPath = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Details: (\S+\.json)\./.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`env:up exited (${code}) before it was up:\n${out}`)));
  });
  if (child.pid === undefined) throw new Error('env:up has no pid');
  return { pid: child.pid, details: JSON.parse(readFileSync(detailsPath, 'utf8')) as EnvDetails };
}

it("a real node whose run was killed (no teardown) is undone by the next run's reaper", async () => {
  const before = snapshotHost();
  const { pid, details } = await startCliEnvironment();
  const node = details.realNode;
  if (node === undefined) throw new Error('no real node');
  await apply(details, busyboxPod(node, 'default', 'sleeper', ['sleep', '3600']));
  await kubectl(details, ['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=60s']);
  const left = processIdentities([...details.pids, ...nodeCgroupProcesses(), ...processesMentioning(details.dir)]);

  process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  expect(stillRunning(left).length).toBeGreaterThan(0);
  const reaped = await reapOrphans();
  expect(reaped).toContain(`the real node in ${details.dir}/node`);
  expect(stillRunning(left)).toEqual([]);
  expect(existsSync(details.dir)).toBe(false);
  expect(snapshotHost()).toEqual(before);
}, 180_000);
