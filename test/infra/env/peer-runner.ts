import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { LABELS, PEER_ADDRESS_ANNOTATION } from '../../../src/k8s/labels.js';
import { nodeIdentityFiles, writeNodeFiles } from '../../../src/fabric/node-files.js';
import { startPeer } from './fabric.js';
import type { ManagedProcess } from './proc.js';
import { NODE_NAME } from './real-node/layout.js';

/** Where the runner says how to reach the peer it started for a pod. */
export interface RunnerPeer {
  pod: string;
  org: string;
  address: string;
  tlsRootCert: string;
}

/**
 * Starts a peer process as the identity the bot stored in a Secret (its data as saveIdentity
 * writes it: cert.pem, key.pem, ca.pem, tls.crt, tls.key, tls-ca.pem, mspid), in `home`.
 */
export async function startPeerWithIdentity(
  data: Record<string, string>,
  opts: { name: string; home: string; logDir: string; ports?: [number, number, number] },
): Promise<{ process: ManagedProcess; address: string; tlsRootCert: string }> {
  const need = (k: string): string => {
    const v = data[k];
    if (v === undefined) throw new Error(`the identity for ${opts.name} has no ${k}`);
    return v;
  };
  // The files the pods' init container writes (manifests/fabric-org), in the same layout.
  writeNodeFiles(
    opts.home,
    nodeIdentityFiles({
      certPem: need('cert.pem'),
      keyPem: need('key.pem'),
      caChainPem: need('ca.pem'),
      tlsCertPem: need('tls.crt'),
      tlsKeyPem: need('tls.key'),
      tlsCaPem: need('tls-ca.pem'),
    }),
  );
  const msp = path.join(opts.home, 'msp');
  const tls = {
    cert: path.join(opts.home, 'tls', 'server.crt'),
    key: path.join(opts.home, 'tls', 'server.key'),
    ca: path.join(opts.home, 'tls', 'ca.crt'),
  };
  const started = await startPeer({
    name: opts.name,
    id: opts.name,
    mspId: need('mspid'),
    mspDir: msp,
    tls,
    dir: opts.home,
    logDir: opts.logDir,
    ...(opts.ports === undefined ? {} : { ports: opts.ports }),
  });
  return { process: started.process, address: started.address, tlsRootCert: tls.ca };
}

/**
 * Stands in for a kubelet running the peer image: when a peer Pod of a scaled-up StatefulSet is
 * Ready (kwok) and the Secret <org>-id-<pod> that the bot enrolled exists, it starts a real peer
 * process with that identity and annotates the Pod with its address; the bot then joins it to
 * the channels. When the Pod goes, the process stops.
 * Ordinal 0 of each org is the environment's own peer0.
 */
export class PeerRunner {
  private readonly running = new Map<string, { process: ManagedProcess; info: RunnerPeer }>();
  private readonly starting = new Set<string>();
  private informer: ReturnType<typeof makeInformer<V1Pod>> | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly errors: string[] = [];

  constructor(
    private readonly kubeconfigPath: string,
    private readonly namespace: string,
    private readonly dir: string,
    private readonly logDir: string,
  ) {}

  async start(): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const selector = `${LABELS.component}=peer`;
    this.informer = makeInformer(
      kc,
      `/api/v1/namespaces/${this.namespace}/pods`,
      () => core.listNamespacedPod({ namespace: this.namespace, labelSelector: selector }),
      selector,
    );
    this.informer.on('delete', (pod) => void this.remove(pod.metadata?.name ?? ''));
    this.informer.on('error', () => {
      if (this.timer !== undefined) setTimeout(() => void this.informer?.start().catch(() => undefined), 1000);
    });
    await this.informer.start();
    // The Secret may come after the Pod, so the cache is looked at again every second.
    this.timer = setInterval(() => void this.reconcile(core), 1000);
  }

  private async reconcile(core: CoreV1Api): Promise<void> {
    for (const pod of this.informer?.list(this.namespace) ?? []) {
      const name = pod.metadata?.name ?? '';
      const ordinal = Number(/-(\d+)$/.exec(name)?.[1] ?? '0');
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      // A pod on the real node runs its own peer.
      if (pod.spec?.nodeName === NODE_NAME) continue;
      if (ordinal === 0 || !ready || pod.metadata?.deletionTimestamp !== undefined || this.running.has(name) || this.starting.has(name))
        continue;
      const org = pod.metadata?.labels?.[LABELS.org] ?? '';
      this.starting.add(name);
      this.startFor(core, name, org)
        .catch((err: unknown) => this.errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => this.starting.delete(name));
    }
  }

  private async startFor(core: CoreV1Api, pod: string, org: string): Promise<void> {
    let data: Record<string, string>;
    try {
      const secret = await core.readNamespacedSecret({ name: `${org}-id-${pod}`, namespace: this.namespace });
      data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    } catch {
      return; // not enrolled (yet): a pod scaled without the bot gets no peer
    }
    const started = await startPeerWithIdentity(data, { name: pod, home: path.join(this.dir, 'runner', pod), logDir: this.logDir });
    const info: RunnerPeer = { pod, org, address: started.address, tlsRootCert: started.tlsRootCert };
    this.running.set(pod, { process: started.process, info });
    // Like a pod IP: where this peer is reached. Joining channels is the bot's work, not ours.
    await core.patchNamespacedPod(
      { name: pod, namespace: this.namespace, body: { metadata: { annotations: { [PEER_ADDRESS_ANNOTATION]: started.address } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    writeFileSync(path.join(this.dir, 'runner', `${pod}.json`), JSON.stringify(info));
  }

  private async remove(pod: string): Promise<void> {
    const r = this.running.get(pod);
    if (r === undefined) return;
    this.running.delete(pod);
    rmSync(path.join(this.dir, 'runner', `${pod}.json`), { force: true });
    await r.process.stop();
  }

  pids(): number[] {
    return [...this.running.values()].flatMap((r) => (r.process.pid === undefined ? [] : [r.process.pid]));
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.informer?.stop();
    await Promise.all([...this.running.values()].map((r) => r.process.stop()));
    this.running.clear();
  }
}
