import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startEnvironment, type Environment, type EnvDetails } from '../infra/env/environment.js';
import { apply, busyboxPod, eventually, kubectl, type RealNode } from './support.js';

// NetworkPolicy on the real node, enforced by kube-network-policies: a server in one namespace,
// clients in two others; the same TCP connection admitted or dropped as policies come and go.
const SERVER_NS = 'np-server';
const TRUSTED_NS = 'np-trusted';
const OTHER_NS = 'np-other';
const CLIENT_LABEL = { role: 'client' };
let env: Environment;
let details: EnvDetails;
let node: RealNode;
let serverIp: string;

/** A client pod labelled `labels` (besides app=<name>), idle until the test execs nc in it. */
function clientPod(namespace: string, name: string, labels: Record<string, string>) {
  const pod = busyboxPod(node, namespace, name, ['sleep', '3600']);
  return { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, ...labels } } };
}

beforeAll(async () => {
  env = await startEnvironment({ realNode: true });
  details = env.details;
  if (details.realNode === undefined) throw new Error('the environment has no real node');
  node = details.realNode;
  for (const ns of [SERVER_NS, TRUSTED_NS, OTHER_NS]) await kubectl(details, ['create', 'namespace', ns]);
  const serve = 'mkdir -p /www && echo "hi from the server" > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www';
  await apply(details, busyboxPod(node, SERVER_NS, 'server', ['sh', '-c', serve], { ready: true }));
  // The trusted client: the label the policy admits, in the namespace it admits. The others
  // have one of the two but not both.
  await apply(details, clientPod(TRUSTED_NS, 'trusted', CLIENT_LABEL));
  await apply(details, clientPod(TRUSTED_NS, 'unlabelled', {}));
  await apply(details, clientPod(OTHER_NS, 'outsider', CLIENT_LABEL));
  await kubectl(details, ['wait', '-n', SERVER_NS, '--for=condition=Ready', 'pod/server', '--timeout=60s']);
  await kubectl(details, ['wait', '-n', TRUSTED_NS, '--for=condition=Ready', 'pod/trusted', 'pod/unlabelled', '--timeout=60s']);
  await kubectl(details, ['wait', '-n', OTHER_NS, '--for=condition=Ready', 'pod/outsider', '--timeout=60s']);
  serverIp = (await kubectl(details, ['get', 'pod', '-n', SERVER_NS, 'server', '-o', 'jsonpath={.status.podIP}'])).trim();
}, 240_000);

afterAll(async () => {
  await env?.stop();
}, 120_000);

/** One new TCP connection from the client pod to the server's port 8080: what it answered, or why not. */
async function connect(namespace: string, client: string): Promise<{ reached: boolean; output: string }> {
  const request = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${serverIp} 8080`;
  try {
    const output = await kubectl(details, ['exec', '-n', namespace, client, '--', 'sh', '-c', request]);
    return { reached: output.includes('hi from the server'), output };
  } catch (err) {
    return { reached: false, output: err instanceof Error ? err.message : String(err) };
  }
}

/** Waits until the connection from `client` is (or is not) made, then checks it stays so. */
async function settlesTo(namespace: string, client: string, reached: boolean): Promise<void> {
  await eventually(
    `${namespace}/${client} ${reached ? 'reaching' : 'refused by'} the server`,
    async () => ((await connect(namespace, client)).reached === reached ? true : undefined),
    30_000,
  );
  const again = await connect(namespace, client);
  expect({ client: `${namespace}/${client}`, reached: again.reached }).toEqual({ client: `${namespace}/${client}`, reached });
}

const denyAll = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'default-deny-ingress', namespace: SERVER_NS },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
};

const admitTrusted = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'admit-trusted-clients', namespace: SERVER_NS },
  spec: {
    podSelector: { matchLabels: { app: 'server' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        // One peer: both selectors must match (a pod so labelled, in a namespace so named).
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': TRUSTED_NS } },
            podSelector: { matchLabels: CLIENT_LABEL },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ],
  },
};

it('with no policy, every client reaches the server', async () => {
  const first = await connect(TRUSTED_NS, 'trusted');
  expect(first).toEqual({ reached: true, output: expect.stringContaining('HTTP/1.') });
  expect((await connect(TRUSTED_NS, 'unlabelled')).reached).toBe(true);
  expect((await connect(OTHER_NS, 'outsider')).reached).toBe(true);
}, 60_000);

it("a default-deny ingress policy in the server's namespace makes the same connection fail", async () => {
  await apply(details, denyAll);
  await settlesTo(TRUSTED_NS, 'trusted', false);
  expect((await connect(OTHER_NS, 'outsider')).reached).toBe(false);
}, 90_000);

it('a policy admitting labelled pods from one namespace lets exactly that client through', async () => {
  await apply(details, admitTrusted);
  await settlesTo(TRUSTED_NS, 'trusted', true);
  // Same label, other namespace; same namespace, no label: both still refused.
  expect((await connect(OTHER_NS, 'outsider')).reached).toBe(false);
  expect((await connect(TRUSTED_NS, 'unlabelled')).reached).toBe(false);
}, 90_000);

it('removing the policies restores reachability for every client', async () => {
  await kubectl(details, ['delete', 'networkpolicy', '-n', SERVER_NS, '--all']);
  await settlesTo(OTHER_NS, 'outsider', true);
  expect((await connect(TRUSTED_NS, 'unlabelled')).reached).toBe(true);
  expect((await connect(TRUSTED_NS, 'trusted')).reached).toBe(true);
}, 90_000);
