import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApiregistrationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { binary } from './binaries.js';
import { freePort, httpOk, httpsGet } from './net.js';
import { Pki, type CertPaths } from './pki.js';
import { ManagedProcess } from './proc.js';

/**
 * A real control plane on loopback, as envtest runs one, plus kwok for nodes and pods and
 * metrics-server behind the aggregation layer for metrics.k8s.io.
 */
export interface KubeEnv {
  server: string;
  kubeconfigPath: string;
  caCert: string;
  /** The cluster CA with its key, to sign a real node's certificates. */
  ca: CertPaths;
  admin: CertPaths;
  nodes: string[];
  processes: ManagedProcess[];
}

const HOSTS = ['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', '10.0.0.1'];

export function kubeconfigYaml(server: string, caCert: string, user: CertPaths): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fabric-chatops-test', cluster: { server, 'certificate-authority-data': Pki.base64(caCert) } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': Pki.base64(user.cert), 'client-key-data': Pki.base64(user.key) } }],
    contexts: [{ name: 'fabric-chatops-test', context: { cluster: 'fabric-chatops-test', user: 'admin' } }],
    'current-context': 'fabric-chatops-test',
  });
}

/** kwok serves each node's /metrics/resource from these; metrics-server reads them. */
function kwokConfig(): string {
  const labels = (dim: 'container' | 'pod') => [
    ...(dim === 'container' ? [{ name: 'container', value: 'container.name' }] : []),
    { name: 'namespace', value: 'pod.metadata.namespace' },
    { name: 'pod', value: 'pod.metadata.name' },
  ];
  const metric = {
    kind: 'Metric',
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    metadata: { name: 'metrics-resource' },
    spec: {
      path: '/metrics/nodes/{nodeName}/metrics/resource',
      metrics: [
        { name: 'scrape_error', dimension: 'node', kind: 'gauge', help: 'scrape error', value: '0' },
        {
          name: 'container_start_time_seconds',
          dimension: 'container',
          kind: 'gauge',
          help: 'start time',
          labels: labels('container'),
          value: 'pod.SinceSecond()',
        },
        {
          name: 'container_cpu_usage_seconds_total',
          dimension: 'container',
          kind: 'counter',
          help: 'cpu',
          labels: labels('container'),
          value: 'pod.CumulativeUsage("cpu", container.name)',
        },
        {
          name: 'container_memory_working_set_bytes',
          dimension: 'container',
          kind: 'gauge',
          help: 'memory',
          labels: labels('container'),
          value: 'pod.Usage("memory", container.name)',
        },
        {
          name: 'pod_cpu_usage_seconds_total',
          dimension: 'pod',
          kind: 'counter',
          help: 'cpu',
          labels: labels('pod'),
          value: 'pod.CumulativeUsage("cpu")',
        },
        {
          name: 'pod_memory_working_set_bytes',
          dimension: 'pod',
          kind: 'gauge',
          help: 'memory',
          labels: labels('pod'),
          value: 'pod.Usage("memory")',
        },
        { name: 'node_cpu_usage_seconds_total', dimension: 'node', kind: 'counter', help: 'cpu', value: 'node.CumulativeUsage("cpu")' },
        { name: 'node_memory_working_set_bytes', dimension: 'node', kind: 'gauge', help: 'memory', value: 'node.Usage("memory")' },
      ],
    },
  };
  // A pod's usage comes from its annotations, so a test can set what metrics report.
  const quantity = (resource: string, fallback: string) => {
    const annotation = `pod.metadata.annotations["kwok.x-k8s.io/usage-${resource}"]`;
    return `"kwok.x-k8s.io/usage-${resource}" in pod.metadata.annotations ? Quantity(${annotation}) : Quantity("${fallback}")`;
  };
  const usage = {
    kind: 'ClusterResourceUsage',
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    metadata: { name: 'usage-from-annotation' },
    spec: { usages: [{ usage: { cpu: { expression: quantity('cpu', '5m') }, memory: { expression: quantity('memory', '32Mi') } } }] },
  };
  return [metric, usage].map((d) => JSON.stringify(d)).join('\n---\n');
}

/**
 * What changes when a real node joins: the API server listens on the node's bridge address
 * (pods reach it there through the `kubernetes` Service) instead of loopback, dials kubelets by
 * InternalIP with a client certificate and checks their serving certificates, authorizes nodes
 * (Node,RBAC and NodeRestriction), and kwok leaves nodes it did not create alone.
 */
export interface RealNodeOptions {
  address: string;
}

function realNodeApiServerArgs(pki: Pki, ca: CertPaths, address: string): string[] {
  const kubeletClient = pki.issue(ca, 'apiserver-kubelet-client', {
    cn: 'kube-apiserver-kubelet-client',
    orgs: ['system:masters'],
    usage: 'client',
  });
  return [
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    '--endpoint-reconciler-type=lease',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--kubelet-client-certificate=${kubeletClient.cert}`,
    `--kubelet-client-key=${kubeletClient.key}`,
    `--kubelet-certificate-authority=${ca.cert}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
  ];
}

const LOOPBACK_API_SERVER_ARGS = [
  '--bind-address=127.0.0.1',
  '--advertise-address=127.0.0.1',
  '--authorization-mode=RBAC',
  '--endpoint-reconciler-type=none',
];

export async function startKubernetes(opts: {
  dir: string;
  logDir: string;
  nodes?: number;
  controllerManagerArgs?: string[];
  realNode?: RealNodeOptions;
}): Promise<KubeEnv> {
  const processes: ManagedProcess[] = [];
  const dir = path.join(opts.dir, 'kube');
  mkdirSync(dir, { recursive: true });
  const pki = new Pki(path.join(dir, 'pki'));
  const ca = pki.ca('ca', 'fabric-chatops-test-ca');
  const apiAddress = opts.realNode?.address ?? '127.0.0.1';
  const apiHosts = [...HOSTS, ...(opts.realNode === undefined ? [] : [apiAddress])];
  const serving = pki.issue(ca, 'apiserver', { cn: 'kube-apiserver', hosts: apiHosts, usage: 'server' });
  const admin = pki.issue(ca, 'admin', { cn: 'admin', orgs: ['system:masters'], usage: 'client' });
  const saKey = pki.key('sa');
  const saPub = pki.publicKey(saKey);
  const frontProxyCa = pki.ca('front-proxy-ca', 'front-proxy-ca');
  const frontProxy = pki.issue(frontProxyCa, 'front-proxy-client', { cn: 'front-proxy-client', usage: 'client' });
  const loopbackServing = pki.issue(ca, 'loopback-serving', { cn: '127.0.0.1', hosts: ['127.0.0.1', 'localhost'], usage: 'server' });

  try {
    const [etcdPort, etcdPeer, apiPort, kcmPort, schedPort, kwokPort, msPort] = (await Promise.all(
      Array.from({ length: 7 }, () => freePort()),
    )) as [number, number, number, number, number, number, number];
    const etcd = ManagedProcess.start(
      'etcd',
      binary('etcd'),
      [
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      { logDir: opts.logDir },
    );
    processes.push(etcd);
    await etcd.waitUntil('/health answered', () => httpOk(`http://127.0.0.1:${etcdPort}/health`));

    const server = `https://${apiAddress}:${apiPort}`;
    const apiserver = ManagedProcess.start(
      'kube-apiserver',
      binary('kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        ...(opts.realNode === undefined ? LOOPBACK_API_SERVER_ARGS : realNodeApiServerArgs(pki, ca, apiAddress)),
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${serving.cert}`,
        `--tls-private-key-file=${serving.key}`,
        `--client-ca-file=${ca.cert}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        `--service-account-issuer=${server}`,
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        `--requestheader-client-ca-file=${frontProxyCa.cert}`,
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${frontProxy.cert}`,
        `--proxy-client-key-file=${frontProxy.key}`,
      ],
      { logDir: opts.logDir },
    );
    processes.push(apiserver);
    const asAdmin = { ca: ca.cert, cert: admin.cert, key: admin.key };
    await apiserver.waitUntil('/readyz answered ok', async () => (await httpsGet(`${server}/readyz`, asAdmin)).status === 200, 90_000);

    const kubeconfigPath = path.join(opts.dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, ca.cert, admin), { mode: 0o600 });
    const common = [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--bind-address=127.0.0.1',
    ];

    const kcm = ManagedProcess.start(
      'kube-controller-manager',
      binary('kube-controller-manager'),
      [
        ...common,
        `--secure-port=${kcmPort}`,
        '--leader-elect=false',
        `--service-account-private-key-file=${saKey}`,
        `--root-ca-file=${ca.cert}`,
        '--controllers=*,-nodeipam',
        '--concurrent-statefulset-syncs=5',
        ...(opts.controllerManagerArgs ?? []),
      ],
      { logDir: opts.logDir },
    );
    const scheduler = ManagedProcess.start(
      'kube-scheduler',
      binary('kube-scheduler'),
      [...common, `--secure-port=${schedPort}`, '--leader-elect=false'],
      { logDir: opts.logDir },
    );
    processes.push(kcm, scheduler);

    const kwokConfigPath = path.join(dir, 'kwok.yaml');
    writeFileSync(kwokConfigPath, kwokConfig());
    const stagesDir = path.join(path.dirname(binary('kwok')), 'stages');
    const stages = readdirSync(stagesDir).map((f) => `--config=${path.join(stagesDir, f)}`);
    const kwok = ManagedProcess.start(
      'kwok',
      binary('kwok'),
      [
        `--kubeconfig=${kubeconfigPath}`,
        opts.realNode === undefined ? '--manage-all-nodes=true' : '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--config=${kwokConfigPath}`,
        ...stages,
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${kwokPort}`,
        '--node-ip=127.0.0.1',
        `--node-port=${kwokPort}`,
        `--tls-cert-file=${loopbackServing.cert}`,
        `--tls-private-key-file=${loopbackServing.key}`,
      ],
      { logDir: opts.logDir },
    );
    processes.push(kwok);

    const metricsServer = ManagedProcess.start(
      'metrics-server',
      binary('metrics-server'),
      [
        ...common,
        `--secure-port=${msPort}`,
        `--tls-cert-file=${loopbackServing.cert}`,
        `--tls-private-key-file=${loopbackServing.key}`,
        '--kubelet-preferred-address-types=InternalIP',
        '--kubelet-use-node-status-port',
        '--kubelet-insecure-tls',
        '--metric-resolution=10s',
        '--kubelet-request-timeout=3s',
      ],
      { logDir: opts.logDir },
    );
    processes.push(metricsServer);

    await kcm.waitUntil('/healthz answered', async () => (await httpsGet(`https://127.0.0.1:${kcmPort}/healthz`)).status === 200);
    await scheduler.waitUntil('/healthz answered', async () => (await httpsGet(`https://127.0.0.1:${schedPort}/healthz`)).status === 200);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const nodes = Array.from({ length: opts.nodes ?? 3 }, (_, i) => `kwok-node-${i}`);
    for (const name of nodes) {
      await core.createNode({
        body: {
          metadata: {
            name,
            labels: { type: 'kwok', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
            annotations: {
              'kwok.x-k8s.io/node': 'fake',
              'node.alpha.kubernetes.io/ttl': '0',
              'metrics.k8s.io/resource-metrics-path': `/metrics/nodes/${name}/metrics/resource`,
            },
          },
          status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110' }, capacity: { cpu: '32', memory: '256Gi', pods: '110' } },
        },
      });
    }

    // metrics.k8s.io through the aggregation layer; ExternalName lets the API server reach a
    // loopback metrics-server without kube-proxy.
    await core.createNamespacedService({
      namespace: 'kube-system',
      body: {
        metadata: { name: 'metrics-server' },
        spec: { type: 'ExternalName', externalName: '127.0.0.1', ports: [{ name: 'https', port: msPort, targetPort: msPort }] },
      },
    });
    await kc.makeApiClient(ApiregistrationV1Api).createAPIService({
      body: {
        metadata: { name: 'v1beta1.metrics.k8s.io' },
        spec: {
          group: 'metrics.k8s.io',
          version: 'v1beta1',
          groupPriorityMinimum: 100,
          versionPriority: 100,
          insecureSkipTLSVerify: true,
          service: { name: 'metrics-server', namespace: 'kube-system', port: msPort },
        },
      },
    });

    await kwok.waitUntil('every node to be Ready', async () => {
      const list = await core.listNode();
      const ready = (n: (typeof list.items)[number]) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      return list.items.filter((n) => nodes.includes(n.metadata?.name ?? '') && ready(n)).length === nodes.length;
    });
    await metricsServer.waitUntil(
      'metrics.k8s.io to be served',
      async () => (await httpsGet(`${server}/apis/metrics.k8s.io/v1beta1/nodes`, asAdmin)).status === 200,
      90_000,
    );
    // The StatefulSet controller must be up before a test scales one.
    await kcm.waitUntil(
      'the default ServiceAccount to exist',
      async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })).metadata?.name === 'default',
    );
    return { server, kubeconfigPath, caCert: ca.cert, ca, admin, nodes, processes };
  } catch (err) {
    await Promise.all(processes.map((p) => p.stop()));
    throw err;
  }
}
