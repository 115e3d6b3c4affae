import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { binary } from '../infra/env/binaries.js';
import { startEnvironment, type EnvDetails, type Environment } from '../infra/env/environment.js';
import { apply, eventually, kubectl, nonRootPod, type RealNode } from './support.js';

// The NetworkPolicies manifests/ ships, enforced on the real node, with busybox stand-ins that
// carry the labels of the shipped pod templates (read from the rendered manifests, so a label
// that drifts fails here): each path the product needs is open, each one it forbids is shut.
const BOT_NS = 'fabric-chatops';
const FABRIC_NS = 'fabric-demo';
const OTHER_ORG_NS = 'fabric-demo-org2';
const TENANT_B_NS = 'tenant-b';
const ELSEWHERE_NS = 'elsewhere';
const run = promisify(execFile);
let env: Environment;
let details: EnvDetails;
let node: RealNode;
type Doc = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
};
let policies: Doc[];
const ips: Record<string, string> = {};

async function rendered(dir: string): Promise<Doc[]> {
  const { stdout } = await run(binary('kubectl'), ['kustomize', path.resolve('manifests', dir)]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as Doc);
}

const templateLabels = (docs: Doc[], name: string): Record<string, string> => {
  const w = docs.find((d) => (d.kind === 'Deployment' || d.kind === 'StatefulSet') && d.metadata.name === name);
  const labels = (w?.spec?.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels;
  if (labels === undefined) throw new Error(`no pod template ${name} in the manifests`);
  return labels;
};

/** A pod serving HTTP on `port` (or idle, as a client), labelled as the shipped workload, restricted like it. */
function standIn(namespace: string, name: string, labels: Record<string, string>, port?: number) {
  const serve = `mkdir -p /tmp/www && echo "hi from ${name}" > /tmp/www/index.html && exec httpd -f -p ${port} -h /tmp/www`;
  const pod = nonRootPod(node, namespace, name, [
    { name: 'main', image: node.images.busybox, command: port === undefined ? ['sleep', '3600'] : ['sh', '-c', serve] },
  ]);
  return {
    ...pod,
    metadata: { ...pod.metadata, labels: { ...labels, app: name } },
    spec: { ...pod.spec, securityContext: { ...pod.spec.securityContext, runAsUser: 10001 } },
  };
}

beforeAll(async () => {
  env = await startEnvironment({ realNode: true });
  details = env.details;
  if (details.realNode === undefined) throw new Error('the environment has no real node');
  node = details.realNode;
  const base = await rendered('base');
  const fabric = await rendered('fabric-org');
  // The namespaces as shipped (labels included), and three more: another org of the same
  // network, another tenant's network, and a namespace of neither.
  for (const ns of [...base, ...fabric].filter((d) => d.kind === 'Namespace')) await apply(details, ns);
  await apply(details, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: OTHER_ORG_NS, labels: { 'fabric-chatops.io/network': 'demo' } },
  });
  await apply(details, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: TENANT_B_NS, labels: { 'fabric-chatops.io/network': 'b' } },
  });
  await apply(details, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ELSEWHERE_NS } });
  const peerLabels = templateLabels(fabric, 'org1-peer');
  const pods = [
    standIn(BOT_NS, 'redis', templateLabels(base, 'redis'), 6379),
    standIn(BOT_NS, 'worker', templateLabels(base, 'fabric-chatops-worker')),
    standIn(BOT_NS, 'bot', templateLabels(base, 'fabric-chatops-bot')),
    standIn(FABRIC_NS, 'peer', peerLabels, 7051),
    standIn(FABRIC_NS, 'orderer', templateLabels(fabric, 'orderer')),
    standIn(OTHER_ORG_NS, 'org2-peer', peerLabels),
    standIn(TENANT_B_NS, 'tenant-b-peer', peerLabels),
    standIn(ELSEWHERE_NS, 'stranger', {}),
  ];
  for (const pod of pods) await apply(details, pod);
  for (const pod of pods) {
    const [ns, name] = [pod.metadata.namespace, pod.metadata.name];
    await kubectl(details, ['wait', '-n', ns, '--for=condition=Ready', `pod/${name}`, '--timeout=90s']);
    ips[name] = (await kubectl(details, ['get', 'pod', '-n', ns, name, '-o', 'jsonpath={.status.podIP}'])).trim();
  }
  policies = [...base, ...fabric].filter((d) => d.kind === 'NetworkPolicy');
  expect(policies.map((p) => p.metadata.name).sort()).toEqual(['redis-clients-only', 'same-network-only']);
  for (const p of policies) await apply(details, p);
}, 600_000);

afterAll(async () => {
  await env?.stop();
}, 120_000);

/** One new TCP connection from `client` to `server`'s port: whether the server answered. */
async function reaches(clientNs: string, client: string, server: string, port: number): Promise<boolean> {
  const request = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ips[server]} ${port}`;
  try {
    return (await kubectl(details, ['exec', '-n', clientNs, client, '--', 'sh', '-c', request])).includes(`hi from ${server}`);
  } catch {
    return false;
  }
}

/** Every path as it stands, once the enforcer has caught up with the policies (their rules settle within seconds). */
async function paths(): Promise<Record<string, boolean>> {
  const checks: [string, string, string, string, number][] = [
    ['worker → redis', BOT_NS, 'worker', 'redis', 6379],
    ['bot → redis', BOT_NS, 'bot', 'redis', 6379],
    ['another namespace → redis', ELSEWHERE_NS, 'stranger', 'redis', 6379],
    ['worker → peer', BOT_NS, 'worker', 'peer', 7051],
    ['orderer → peer (same namespace)', FABRIC_NS, 'orderer', 'peer', 7051],
    ["another org's peer of the network → peer", OTHER_ORG_NS, 'org2-peer', 'peer', 7051],
    ["tenant B's peer → peer", TENANT_B_NS, 'tenant-b-peer', 'peer', 7051],
    ['bot (no credentials) → peer', BOT_NS, 'bot', 'peer', 7051],
  ];
  const result: Record<string, boolean> = {};
  for (const [what, ns, client, server, port] of checks) result[what] = await reaches(ns, client, server, port);
  return result;
}

const SHIPPED = {
  'worker → redis': true,
  'bot → redis': true,
  'another namespace → redis': false,
  'worker → peer': true,
  'orderer → peer (same namespace)': true,
  "another org's peer of the network → peer": true,
  "tenant B's peer → peer": false,
  'bot (no credentials) → peer': false,
};

/** The paths once they match `expected`, or as they last stood after 45 s (so a failure shows which differ). */
async function settledPaths(expected: Record<string, boolean>): Promise<Record<string, boolean>> {
  let last: Record<string, boolean> = {};
  await eventually(
    'the paths to settle',
    async () => {
      last = await paths();
      return JSON.stringify(last) === JSON.stringify(expected) ? true : undefined;
    },
    45_000,
  ).catch(() => undefined);
  return last;
}

it('the shipped policies open exactly the paths the product uses', async () => {
  expect(await settledPaths(SHIPPED)).toEqual(SHIPPED);
}, 120_000);

it("the test notices a loosened policy: admitting every namespace lets tenant B's peer and the stranger in", async () => {
  const loosen = (p: Doc): Doc => {
    const spec = structuredClone(p.spec) as { ingress: { from: object[] }[] };
    for (const rule of spec.ingress) rule.from = [...rule.from, { namespaceSelector: {} }];
    return { ...p, spec };
  };
  for (const p of policies) await apply(details, loosen(p));
  const loose = { ...SHIPPED, "tenant B's peer → peer": true, 'another namespace → redis': true, 'bot (no credentials) → peer': true };
  expect(await settledPaths(loose)).toEqual(loose);
  for (const p of policies) await apply(details, p);
  expect(await settledPaths(SHIPPED)).toEqual(SHIPPED);
}, 180_000);
