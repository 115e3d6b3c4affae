import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { ManagedProcess } from './proc.js';
import { Pki } from './pki.js';
import {
  startCoreDns,
  startKubelet,
  startKubeProxy,
  startNetworkPolicies,
  type ControlPlane,
  type NodeContext,
} from './real-node/components.js';
import { containerdSocket, startContainerd } from './real-node/containerd.js';
import { cleanHost, claimHost } from './real-node/host.js';
import { admitPodsTo } from './real-node/host-network.js';
import { ownerRuns, readHostRecord, updateHostRecord, type HostRecord } from './real-node/host-record.js';
import { importImages, type NodeImage } from './real-node/images.js';
import { BRIDGE_IP, IMAGES, NODE_NAME, TAINT } from './real-node/layout.js';

/** What tests need to put pods on the real node. */
export interface RealNodeDetails {
  name: string;
  /** The node's address on its bridge; what pods must reach listens there. */
  address: string;
  /** pause and busybox always; the images asked for with startEnvironment({ nodeImages }). */
  images: typeof IMAGES & Partial<Record<NodeImage, string>>;
  /** Pods meant for the real node tolerate it (and select the node by name). */
  taint: typeof TAINT;
  /** Milliseconds each step of the node's start took. */
  startTimings: Record<string, number>;
}

export const realNodeDetails: Omit<RealNodeDetails, 'startTimings'> = { name: NODE_NAME, address: BRIDGE_IP, images: IMAGES, taint: TAINT };
export const REAL_NODE_ADDRESS = BRIDGE_IP;

/** CoreDNS's read access, as kubeadm grants it (`system:coredns`). */
async function grantCoreDns(kubeconfigPath: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const name = 'system:coredns';
  await rbac.createClusterRole({
    body: {
      metadata: { name },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io' }],
    },
  });
}

/** The NetworkPolicy enforcer's (kube-router's) read access, as its upstream manifest grants it. */
async function grantNetworkPolicies(kubeconfigPath: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const name = 'system:kube-router';
  const read = ['get', 'list', 'watch'];
  await rbac.createClusterRole({
    body: {
      metadata: { name },
      rules: [
        { apiGroups: [''], resources: ['namespaces', 'pods', 'services', 'nodes', 'endpoints'], verbs: read },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: read },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io' }],
    },
  });
}

async function waitForReadyNode(kubeconfigPath: string, kubelet: ManagedProcess): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  await kubelet.waitUntil(`node ${NODE_NAME} to be Ready`, async () => {
    const node = await core.readNode({ name: NODE_NAME });
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  });
}

/**
 * A real node on this machine: containerd, the kubelet, kube-proxy, CoreDNS and a NetworkPolicy
 * enforcer (kube-router's firewall), joined to the
 * environment's control plane. In three steps: `claim` (before the API server starts, which
 * binds the bridge address), `startRuntime` (alongside the control plane), `join` (after it).
 */
export class RealNode {
  private readonly processes: ManagedProcess[] = [];
  /** How long each start step took (ms), in the order they ran. */
  readonly timings: Record<string, number> = {};
  /** References of the images imported on request, by name. */
  images: Partial<Record<NodeImage, string>> = {};

  private constructor(
    private readonly record: HostRecord,
    private readonly logDir: string,
  ) {}

  static async claim(envDir: string, logDir: string): Promise<RealNode> {
    const t0 = Date.now();
    const nodeDir = path.join(envDir, 'node');
    mkdirSync(nodeDir, { recursive: true });
    const node = new RealNode(await claimHost(nodeDir, containerdSocket(nodeDir)), logDir);
    node.timings['host claimed (lock, bridge, cgroups)'] = Date.now() - t0;
    return node;
  }

  private async timed<T>(step: string, work: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    const result = await work();
    this.timings[step] = Date.now() - t0;
    return result;
  }

  private get nodeDir(): string {
    return this.record.nodeDir;
  }

  private track(p: ManagedProcess): ManagedProcess {
    this.processes.push(p);
    if (p.pid !== undefined) this.record.pids.push(p.pid);
    updateHostRecord(this.record);
    return p;
  }

  /** containerd, with pause, busybox and the `images` asked for (built first when not cached). */
  async startRuntime(images: readonly NodeImage[] = []): Promise<void> {
    this.track(await this.timed('containerd', () => startContainerd(this.nodeDir, this.logDir)));
    this.images = await this.timed('images imported', () => importImages(this.record.containerdSocket, images));
  }

  async join(controlPlane: ControlPlane, adminKubeconfig: string): Promise<void> {
    const ctx: NodeContext = { nodeDir: this.nodeDir, logDir: this.logDir, pki: new Pki(path.join(this.nodeDir, 'pki')), controlPlane };
    await grantCoreDns(adminKubeconfig);
    await grantNetworkPolicies(adminKubeconfig);
    // Pods reach the API server through the `kubernetes` Service.
    this.admitPodsTo(Number(new URL(controlPlane.server).port));
    const kubelet = this.track(await this.timed('kubelet healthy', () => startKubelet(ctx, this.record.containerdSocket)));
    // kube-proxy first, until its first sync is written: kube-router, started beside it, rewrote
    // the filter table under that sync (KUBE-FORWARD gone), kube-proxy logged "Sync failed" and
    // never wrote the Services, and pods timed out on 10.0.0.1:443 (seen in CI, 2 of 3 runs here).
    const [proxy, dns, policies] = await this.timed('kube-proxy, CoreDNS and the NetworkPolicy enforcer up', async () => {
      const started = await startKubeProxy(ctx);
      return [started, ...(await Promise.all([startCoreDns(ctx), startNetworkPolicies(ctx)]))] as const;
    });
    this.track(proxy);
    this.track(dns);
    this.track(policies);
    await this.timed('node Ready', () => waitForReadyNode(adminKubeconfig, kubelet));
  }

  /** Pods may connect to `port` on the node's address (what listens there for them). */
  admitPodsTo(port: number): void {
    admitPodsTo(port);
  }

  pids(): number[] {
    return this.processes.flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  /** Stops the kubelet, kube-proxy, CoreDNS and the enforcer gracefully; containers run on until `release`. */
  async stopPrograms(): Promise<void> {
    for (const p of this.processes.filter((p) => p.name !== 'containerd')) await p.stop();
  }

  /**
   * Undoes everything host-wide: containers, containerd, mounts, the bridge... Last, once the
   * API server (listening on the bridge address) has stopped, or it waits out its clients.
   */
  async release(): Promise<void> {
    await this.stopPrograms();
    await cleanHost(this.record);
  }
}

/** The real node of an environment whose owner was killed: undone as its teardown would. */
export async function reapOrphanNode(): Promise<string | undefined> {
  const record = readHostRecord();
  if (record === undefined || ownerRuns(record)) return undefined;
  await cleanHost(record);
  return `the real node in ${record.nodeDir}`;
}
