import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { binary } from '../binaries.js';
import { kubeconfigYaml } from '../kube.js';
import { freePort, httpOk } from '../net.js';
import type { Pki, CertPaths } from '../pki.js';
import { ManagedProcess } from '../proc.js';
import { sh } from './sh.js';
import { BRIDGE_IP, CGROUP_ROOT, CLUSTER_DOMAIN, NODE_NAME, POD_SUBNET, SERVICE_RANGE, TAINT } from './layout.js';

/** What the node's programs need from the control plane. */
export interface ControlPlane {
  server: string;
  ca: CertPaths;
}

interface NodeContext {
  nodeDir: string;
  logDir: string;
  pki: Pki;
  controlPlane: ControlPlane;
}

/** A kubeconfig for one of the node's programs, as the user `cn` in the groups `orgs`. */
function identity(ctx: NodeContext, name: string, cn: string, orgs: string[] = []): string {
  const user = ctx.pki.issue(ctx.controlPlane.ca, name, { cn, orgs, usage: 'client' });
  const file = path.join(ctx.nodeDir, `${name}.kubeconfig`);
  writeFileSync(file, kubeconfigYaml(ctx.controlPlane.server, ctx.controlPlane.ca.cert, user), { mode: 0o600 });
  return file;
}

/**
 * The kubelet: a node identity from the cluster CA, webhook authentication and authorization
 * for its API, a serving certificate the API server verifies. cgroup v1 only on this VM (so
 * failCgroupV1: false, and cgroupfs). Everything it writes is under the node's directory, except
 * what it hard-codes (/var/log/containers) and the kernel settings it changes.
 */
export async function startKubelet(ctx: NodeContext, containerdSocket: string): Promise<ManagedProcess> {
  const kubeconfig = identity(ctx, 'kubelet', `system:node:${NODE_NAME}`, ['system:nodes']);
  const serving = ctx.pki.issue(ctx.controlPlane.ca, 'kubelet-serving', {
    cn: `system:node:${NODE_NAME}`,
    hosts: [BRIDGE_IP, NODE_NAME],
    usage: 'server',
  });
  const healthzPort = await freePort();
  const dir = (name: string) => path.join(ctx.nodeDir, name);
  for (const d of ['kubelet', 'pod-logs', 'volume-plugins']) mkdirSync(dir(d), { recursive: true });
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: BRIDGE_IP,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort,
    tlsCertFile: serving.cert,
    tlsPrivateKeyFile: serving.key,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: ctx.controlPlane.ca.cert } },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${containerdSocket}`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: `/${CGROUP_ROOT}`,
    failCgroupV1: false,
    failSwapOn: false,
    clusterDNS: [BRIDGE_IP],
    clusterDomain: CLUSTER_DOMAIN,
    resolvConf: '',
    podCIDR: POD_SUBNET,
    podLogsDir: dir('pod-logs'),
    volumePluginDir: dir('volume-plugins'),
    registerWithTaints: [TAINT],
    // A shared test machine: neither evict pods nor collect images because the disk filled up.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    rotateCertificates: false,
  };
  const configFile = dir('kubelet-config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const kubelet = ManagedProcess.start(
    'kubelet',
    binary('kubelet'),
    [
      `--config=${configFile}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${dir('kubelet')}`,
      `--node-ip=${BRIDGE_IP}`,
      `--hostname-override=${NODE_NAME}`,
      '--v=1',
    ],
    { logDir: ctx.logDir },
  );
  await kubelet.waitUntil('/healthz answered', () => httpOk(`http://127.0.0.1:${healthzPort}/healthz`), 60_000);
  return kubelet;
}

/**
 * kube-proxy in iptables mode, with NodePorts on the bridge address only and the machine's
 * conntrack settings left as they are.
 */
export async function startKubeProxy(ctx: NodeContext): Promise<ManagedProcess> {
  const kubeconfig = identity(ctx, 'kube-proxy', 'system:kube-proxy');
  const [healthzPort, metricsPort] = [await freePort(), await freePort()];
  const config = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig },
    hostnameOverride: NODE_NAME,
    clusterCIDR: POD_SUBNET,
    healthzBindAddress: `127.0.0.1:${healthzPort}`,
    metricsBindAddress: `127.0.0.1:${metricsPort}`,
    nodePortAddresses: [`${BRIDGE_IP}/32`],
    iptables: { localhostNodePorts: false },
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s', udpTimeout: '0s', udpStreamTimeout: '0s' },
  };
  const configFile = path.join(ctx.nodeDir, 'kube-proxy-config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const proxy = ManagedProcess.start('kube-proxy', binary('kube-proxy'), [`--config=${configFile}`, '--v=1'], { logDir: ctx.logDir });
  await proxy.waitUntil('/healthz answered', () => httpOk(`http://127.0.0.1:${healthzPort}/healthz`), 60_000);
  // Its first sync has written the Services' rules: pods reach the API server through the
  // `kubernetes` Service. Until then nothing else may rewrite the tables (see join: kube-router's
  // start once deleted a chain this sync had just made, the sync failed and no retry came).
  await proxy.waitUntil(
    'the kubernetes Service programmed',
    async () => sh('iptables-save', ['-t', 'nat']).includes('"default/kubernetes:https cluster IP"'),
    30_000,
  );
  return proxy;
}

/**
 * Cluster DNS as a process on the bridge address: the kubernetes plugin only, no forward plugin,
 * so names outside the cluster are never looked up beyond this machine.
 */
export async function startCoreDns(ctx: NodeContext): Promise<ManagedProcess> {
  const kubeconfig = identity(ctx, 'coredns', 'system:coredns');
  const readyPort = await freePort();
  const corefile = path.join(ctx.nodeDir, 'Corefile');
  writeFileSync(
    corefile,
    `.:53 {
    bind ${BRIDGE_IP}
    errors
    ready 127.0.0.1:${readyPort}
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
`,
  );
  const coredns = ManagedProcess.start('coredns', binary('coredns'), ['-conf', corefile], { logDir: ctx.logDir });
  await coredns.waitUntil('/ready answered', () => httpOk(`http://127.0.0.1:${readyPort}/ready`), 60_000);
  return coredns;
}

/**
 * The NetworkPolicy enforcer: kube-router with only its firewall controller (no routing, no
 * Service proxy, no CNI config), as a host process with its own identity
 * (`system:kube-router`). It keeps pods' addresses in ipsets and filters their traffic in
 * iptables chains (KUBE-ROUTER-*, KUBE-POD-FW-*, KUBE-NWPLCY-*), which teardown removes with
 * the node's other chains; the ipsets it made go too.
 */
export async function startNetworkPolicies(ctx: NodeContext): Promise<ManagedProcess> {
  const kubeconfig = identity(ctx, 'kube-router', 'system:kube-router');
  const healthPort = await freePort();
  const router = ManagedProcess.start(
    'kube-router',
    binary('kube-router'),
    [
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${NODE_NAME}`,
      '--run-firewall=true',
      '--run-router=false',
      '--run-service-proxy=false',
      '--enable-cni=false',
      `--service-cluster-ip-range=${SERVICE_RANGE}`,
      `--health-port=${healthPort}`,
      '--v=1',
    ],
    { logDir: ctx.logDir },
  );
  await router.waitUntil('/healthz answered', () => httpOk(`http://127.0.0.1:${healthPort}/healthz`), 60_000);
  return router;
}

export type { NodeContext };
