import type { V1Deployment, V1PodSpec, V1Service } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { pollUntil } from '../retry.js';
import { apiStatus, type Kube } from './client.js';
import { FIELD_MANAGER, LABELS, PART_OF_FABRIC } from './labels.js';

export interface ChaincodeWorkload {
  network: string;
  org: string;
  name: string;
  image: string;
  /** The package id the peer gave the CCaaS package: the server must run with exactly this id. */
  packageId: string;
  port?: number;
  /** The Secret with the server's TLS certificate (tls.crt, tls.key, ca.crt). */
  tlsSecret: string;
  /** Where its pods may run. */
  placement?: Pick<V1PodSpec, 'nodeSelector' | 'tolerations'>;
}

const DEFAULT_PORT = 9999;

export function chaincodeObjectName(w: Pick<ChaincodeWorkload, 'org' | 'name'>): string {
  return `cc-${w.name}-${w.org}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63);
}

/** The address peers dial, as written in the package's connection.json. */
export function chaincodeAddress(w: Pick<ChaincodeWorkload, 'org' | 'name' | 'port'>, namespace: string): string {
  return `${chaincodeObjectName(w)}.${namespace}.svc:${w.port ?? DEFAULT_PORT}`;
}

/** The names the chaincode server's TLS certificate is issued for: its Service, as pods and peers may name it. */
export function chaincodeServiceNames(w: Pick<ChaincodeWorkload, 'org' | 'name'>, namespace: string): string[] {
  const name = chaincodeObjectName(w);
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
}

/** Where the chaincode server finds its TLS files in its container. */
export const CHAINCODE_TLS_DIR = '/etc/hyperledger/chaincode/tls';
const TLS_VOLUME = 'tls';
const CHAINCODE_UID = 10001;

export function chaincodeObjects(w: ChaincodeWorkload, namespace: string): { deployment: V1Deployment; service: V1Service } {
  const name = chaincodeObjectName(w);
  const port = w.port ?? DEFAULT_PORT;
  const labels = {
    [LABELS.partOf]: PART_OF_FABRIC,
    [LABELS.component]: 'chaincode',
    [LABELS.managedBy]: FIELD_MANAGER,
    [LABELS.network]: w.network,
    [LABELS.org]: w.org,
    [LABELS.chaincode]: w.name,
  };
  const selector = { [LABELS.chaincode]: w.name, [LABELS.org]: w.org };
  return {
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            // Chaincode is a tenant's code: no API credentials, and what Pod Security "restricted" asks.
            automountServiceAccountToken: false,
            ...w.placement,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: CHAINCODE_UID,
              runAsGroup: CHAINCODE_UID,
              // The TLS key is readable by the server's group and nobody else.
              fsGroup: CHAINCODE_UID,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            volumes: [{ name: TLS_VOLUME, secret: { secretName: w.tlsSecret, defaultMode: 0o440 } }],
            containers: [
              {
                name: 'chaincode',
                image: w.image,
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                ports: [{ name: 'chaincode', containerPort: port }],
                // fabric-samples' CCaaS servers read these names; fabric-chaincode-node's `server` the CORE_ ones.
                env: [
                  { name: 'CHAINCODE_SERVER_ADDRESS', value: `0.0.0.0:${port}` },
                  { name: 'CHAINCODE_ID', value: w.packageId },
                  { name: 'CHAINCODE_TLS_DISABLED', value: 'false' },
                  { name: 'CHAINCODE_TLS_CERT', value: `${CHAINCODE_TLS_DIR}/tls.crt` },
                  { name: 'CHAINCODE_TLS_KEY', value: `${CHAINCODE_TLS_DIR}/tls.key` },
                  { name: 'CORE_CHAINCODE_TLS_CERT_FILE', value: `${CHAINCODE_TLS_DIR}/tls.crt` },
                  { name: 'CORE_CHAINCODE_TLS_KEY_FILE', value: `${CHAINCODE_TLS_DIR}/tls.key` },
                ],
                volumeMounts: [{ name: TLS_VOLUME, mountPath: CHAINCODE_TLS_DIR, readOnly: true }],
                readinessProbe: { tcpSocket: { port } },
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '512Mi' } },
              },
            ],
          },
        },
      },
    },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels },
      spec: { selector, ports: [{ name: 'chaincode', port, targetPort: port }] },
    },
  };
}

const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

/** Server-side apply under our field manager: applying the same workload twice changes nothing. */
export async function applyChaincodeWorkload(
  kube: Kube,
  namespace: string,
  w: ChaincodeWorkload,
): Promise<{ deployment: string; service: string; address: string }> {
  const { deployment, service } = chaincodeObjects(w, namespace);
  const name = chaincodeObjectName(w);
  await kube.apps.patchNamespacedDeployment({ name, namespace, body: deployment, fieldManager: FIELD_MANAGER, force: true }, apply);
  await kube.core.patchNamespacedService({ name, namespace, body: service, fieldManager: FIELD_MANAGER, force: true }, apply);
  return { deployment: name, service: name, address: chaincodeAddress(w, namespace) };
}

export class ChaincodeServerNotReady extends Error {
  override name = 'ChaincodeServerNotReady';
}

/**
 * Waits until the chaincode server's Deployment has rolled out its current template and a pod is
 * Ready; on timeout, says why its pods are not (an image that cannot be pulled, a crash loop).
 */
export async function waitForChaincodeServer(
  kube: Kube,
  namespace: string,
  w: Pick<ChaincodeWorkload, 'org' | 'name'>,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<number> {
  const name = chaincodeObjectName(w);
  const started = Date.now();
  let why = 'no pod yet';
  return pollUntil(
    async () => {
      const d = await kube.apps.readNamespacedDeployment({ name, namespace });
      const current = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) && (d.status?.updatedReplicas ?? 0) >= 1;
      if (current && (d.status?.readyReplicas ?? 0) >= 1 && (d.status?.unavailableReplicas ?? 0) === 0) return Date.now() - started;
      const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `${LABELS.chaincode}=${w.name},${LABELS.org}=${w.org}` });
      const waiting = pods.items
        .flatMap((p) => (p.status?.containerStatuses ?? []).map((c) => c.state?.waiting))
        .find((x) => x !== undefined);
      why =
        waiting === undefined
          ? `${d.status?.readyReplicas ?? 0} ready`
          : `${waiting.reason ?? 'waiting'}${waiting.message ? `: ${waiting.message}` : ''}`;
      return undefined;
    },
    {
      everyMs: 500,
      withinMs: opts.timeoutMs,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      timedOut: () =>
        new ChaincodeServerNotReady(
          `chaincode server ${namespace}/${name} is not Ready after ${Math.round(opts.timeoutMs / 1000)} s (${why})`,
        ),
    },
  );
}

/** The key of a ConfigMap holding a chaincode's private data collections (the peer CLI's JSON). */
export const COLLECTIONS_KEY = 'collections.json';

/** The collections JSON kept in a ConfigMap; undefined when the ConfigMap or its key is missing. */
export async function readCollectionsConfig(kube: Kube, namespace: string, configMap: string): Promise<string | undefined> {
  try {
    return (await kube.core.readNamespacedConfigMap({ name: configMap, namespace })).data?.[COLLECTIONS_KEY];
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    throw err;
  }
}
