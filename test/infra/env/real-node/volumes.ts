import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, KubeConfig, StorageV1Api, type V1PersistentVolumeClaim } from '@kubernetes/client-node';

export const STORAGE_CLASS = 'fco-node-local';
const PROVISIONER = 'fabric-chatops.dev/node-local';

const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

/**
 * A dynamic provisioner for the real node, as local-path-provisioner is for kind: the default
 * StorageClass, and for each claim of it a directory under `root` on this machine, offered as a
 * hostPath PersistentVolume bound to the claim and pinned to the node. The directories go with
 * the environment's; PVs are Retain (the API server has no deleter for hostPath).
 *
 * Binding waits for the first consumer, as local-path-provisioner's does: the scheduler places
 * the pod, names the node on the claim and waits for the volume. Bound immediately, a claim made
 * with its pod (a StatefulSet's) was still unbound when the scheduler first saw the pod; the pod
 * went to the unschedulable queue, and when the requeue on the claim's binding was missed it sat
 * there Pending for the queue's 5 minutes (seen in CI: a scale job that never ended).
 */
export class NodeVolumes {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  readonly errors: string[] = [];

  constructor(
    private readonly kubeconfigPath: string,
    private readonly root: string,
  ) {}

  private clients(): { core: CoreV1Api; storage: StorageV1Api } {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return { core: kc.makeApiClient(CoreV1Api), storage: kc.makeApiClient(StorageV1Api) };
  }

  async start(): Promise<void> {
    const { core, storage } = this.clients();
    await storage.createStorageClass({
      body: {
        metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: PROVISIONER,
        reclaimPolicy: 'Retain',
        volumeBindingMode: 'WaitForFirstConsumer',
      },
    });
    this.timer = setInterval(() => void this.reconcile(core), 250);
  }

  private async reconcile(core: CoreV1Api): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const claims = await core.listPersistentVolumeClaimForAllNamespaces();
      for (const claim of claims.items) {
        const node = claim.metadata?.annotations?.[SELECTED_NODE];
        if (claim.spec?.storageClassName === STORAGE_CLASS && claim.spec.volumeName === undefined && node !== undefined)
          await this.provision(core, claim, node);
      }
    } catch (err) {
      this.errors.push(err instanceof Error ? err.message : String(err));
    } finally {
      this.busy = false;
    }
  }

  private async provision(core: CoreV1Api, claim: V1PersistentVolumeClaim, node: string): Promise<void> {
    const uid = claim.metadata?.uid as string;
    const name = `pvc-${uid}`;
    const dir = path.join(this.root, `${claim.metadata?.namespace}-${claim.metadata?.name}-${uid.slice(0, 8)}`);
    mkdirSync(dir, { recursive: true });
    // Whatever user the pod runs as writes here, as with local-path-provisioner.
    chmodSync(dir, 0o777);
    try {
      await core.createPersistentVolume({
        body: {
          metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
          spec: {
            storageClassName: STORAGE_CLASS,
            capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
            accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Retain',
            hostPath: { path: dir, type: 'Directory' },
            claimRef: { namespace: claim.metadata?.namespace, name: claim.metadata?.name, uid },
            nodeAffinity: {
              required: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }],
              },
            },
          },
        },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
