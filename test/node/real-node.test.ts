import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEnvironment, type Environment, type EnvDetails } from '../infra/env/environment.js';
import { apply, busyboxPod, eventually, kubectl, type RealNode } from './support.js';

const NS = 'real-node-test';
let env: Environment;
let details: EnvDetails;
let node: RealNode;

beforeAll(async () => {
  env = await startEnvironment({ realNode: true });
  details = env.details;
  if (details.realNode === undefined) throw new Error('the environment has no real node');
  node = details.realNode;
  const steps = Object.entries(node.startTimings).map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`);
  process.stdout.write(`environment with a real node up in ${(env.startedInMs / 1000).toFixed(1)} s; the node: ${steps.join(', ')}\n`);
  await kubectl(details, ['create', 'namespace', NS]);
  // A web server the Service and DNS tests reach, and a client to reach it from.
  const web = [
    'mkdir -p /www',
    'echo "served by $(hostname)" > /www/index.html',
    'echo "web started"',
    'touch /tmp/ready',
    'exec httpd -f -p 8080 -h /www',
  ].join(' && ');
  await apply(details, busyboxPod(node, NS, 'web', ['sh', '-c', web], { ready: true }));
  await apply(details, busyboxPod(node, NS, 'client', ['sleep', '3600']));
  await apply(details, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: NS },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  await kubectl(details, ['wait', '-n', NS, '--for=condition=Ready', 'pod/web', 'pod/client', '--timeout=60s']);
}, 240_000);

afterAll(async () => {
  await env?.stop();
}, 120_000);

it('the real node is registered and Ready beside kwok fake nodes, with containerd as its runtime', async () => {
  const nodes = JSON.parse(await kubectl(details, ['get', 'nodes', '-o', 'json'])) as {
    items: {
      metadata: { name: string; annotations?: Record<string, string> };
      status: {
        conditions: { type: string; status: string }[];
        addresses: { type: string; address: string }[];
        nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string };
      };
    }[];
  };
  const real = nodes.items.find((n) => n.metadata.name === node.name);
  expect(real?.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  expect(real?.metadata.annotations?.['kwok.x-k8s.io/node']).toBeUndefined();
  expect(real?.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\./);
  expect(real?.status.nodeInfo.kubeletVersion).toBe('v1.35.4');
  expect(real?.status.addresses).toContainEqual({ type: 'InternalIP', address: node.address });
  expect(nodes.items.filter((n) => n.metadata.annotations?.['kwok.x-k8s.io/node'] === 'fake').length).toBeGreaterThan(0);
});

it('a busybox pod runs on it, Running and Ready, in a container of its own', async () => {
  const pod = JSON.parse(await kubectl(details, ['get', 'pod', '-n', NS, 'web', '-o', 'json'])) as {
    spec: { nodeName: string };
    status: { phase: string; podIP: string; containerStatuses: { ready: boolean; containerID: string }[] };
  };
  expect(pod.spec.nodeName).toBe(node.name);
  expect(pod.status.phase).toBe('Running');
  expect(pod.status.containerStatuses[0]?.ready).toBe(true);
  expect(pod.status.containerStatuses[0]?.containerID).toMatch(/^containerd:\/\//);
  expect(pod.status.podIP.startsWith('10.244.0.')).toBe(true);
});

it('kubectl exec runs a command in the container and returns its output', async () => {
  expect(
    (await kubectl(details, ['exec', '-n', NS, 'web', '--', 'sh', '-c', 'echo "$((6 * 7)) from $(hostname) as $(id -u)"'])).trim(),
  ).toBe('42 from web as 0');
  expect((await kubectl(details, ['exec', '-i', '-n', NS, 'web', '--', 'tr', 'a-z', 'A-Z'], 'through stdin\n')).trim()).toBe(
    'THROUGH STDIN',
  );
});

it('kubectl logs shows what the container printed', async () => {
  expect(await kubectl(details, ['logs', '-n', NS, 'web'])).toContain('web started');
});

it('a ClusterIP Service reaches the pod through kube-proxy', async () => {
  const clusterIp = (await kubectl(details, ['get', 'service', '-n', NS, 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  expect(clusterIp).toMatch(/^10\.0\.0\.\d+$/);
  const answer = await eventually('an answer through the Service', async () => {
    const out = await kubectl(details, [
      'exec',
      '-n',
      NS,
      'client',
      '--',
      'sh',
      '-c',
      `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${clusterIp} 80`,
    ]);
    return out.includes('200 OK') ? out : undefined;
  });
  expect(answer).toContain('served by web');
});

it('a Service name resolves inside a pod through CoreDNS, and nothing outside the cluster does', async () => {
  const clusterIp = (await kubectl(details, ['get', 'service', '-n', NS, 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  const answer = await eventually('the Service name to resolve', async () => {
    const out = await kubectl(details, ['exec', '-n', NS, 'client', '--', 'nslookup', `web.${NS}.svc.cluster.local`]);
    return out.includes(`Address: ${clusterIp}`) ? out : undefined;
  });
  expect(answer).toContain(`web.${NS}.svc.cluster.local`);
  // Short names work through the search path the kubelet writes into the pod.
  expect(
    await kubectl(details, ['exec', '-n', NS, 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 web 80`]),
  ).toContain('served by web');
  await expect(kubectl(details, ['exec', '-n', NS, 'client', '--', 'nslookup', 'example.com'])).rejects.toMatchObject({
    stdout: expect.stringContaining("can't find example.com"),
  });
});

it('a memory limit is enforced: a container that goes past it is OOMKilled', async () => {
  await apply(details, busyboxPod(node, NS, 'hog', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], { memoryLimit: '16Mi' }));
  const terminated = await eventually('the container to terminate', async () => {
    const state = await kubectl(details, ['get', 'pod', '-n', NS, 'hog', '-o', 'jsonpath={.status.containerStatuses[0].state.terminated}']);
    return state === '' ? undefined : (JSON.parse(state) as { reason: string; exitCode: number });
  });
  expect(terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
});

/** Whether a TCP connection from the client pod to host:port opens within 2 s. */
async function podConnects(host: string, port: number): Promise<boolean> {
  const probe = `echo | nc -w 2 ${host} ${port} >/dev/null 2>&1 && echo open || echo closed`;
  return (await kubectl(details, ['exec', '-n', NS, 'client', '--', 'sh', '-c', probe])).trim() === 'open';
}

it('pods reach on the machine the API server (through the kubernetes Service) and DNS, not what else listens here', async () => {
  expect(await podConnects('10.0.0.1', 443)).toBe(true);
  expect(await podConnects(node.address, 10250)).toBe(false);
  // A server on all addresses, as some programs on a machine are (this one is the test's own).
  const server = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  try {
    expect(await podConnects(node.address, (server.address() as net.AddressInfo).port)).toBe(false);
  } finally {
    server.close();
  }
});

/** Packets the node's isolation chain dropped: its first rule, bridge to elsewhere. */
function packetsDroppedLeavingBridge(): number {
  const listing = execFileSync('iptables', ['-t', 'mangle', '-L', 'FCO-NODE-ISOLATION', '-v', '-x', '-n'], { encoding: 'utf8' });
  const firstRule = listing.split('\n')[2] ?? '';
  return Number(firstRule.trim().split(/\s+/)[0]);
}

it('pod traffic is never forwarded off the machine, even from a pod that routes it there', async () => {
  const before = packetsDroppedLeavingBridge();
  // 198.51.100.0/24 is a documentation range: nothing answers there, wherever it would go.
  const leaveMachine = `ip route add default via ${node.address} && echo | nc -w 1 198.51.100.1 80; echo tried`;
  await apply(details, busyboxPod(node, NS, 'escaper', ['sh', '-c', leaveMachine], { privileged: true }));
  await eventually('the escaping pod to finish', async () => {
    const phase = await kubectl(details, ['get', 'pod', '-n', NS, 'escaper', '-o', 'jsonpath={.status.phase}']);
    return phase === 'Succeeded' ? phase : undefined;
  });
  expect(await kubectl(details, ['logs', '-n', NS, 'escaper'])).toContain('tried');
  expect(packetsDroppedLeavingBridge()).toBeGreaterThan(before);
});

it('a second environment on this machine cannot have a real node while this one has it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fco-second-'));
  try {
    await expect(startEnvironment({ dir, realNode: true })).rejects.toThrow(/another environment on this machine has the real node/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(await podConnects('10.0.0.1', 443)).toBe(true);
});
