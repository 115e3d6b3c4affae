import type { V1Secret } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { apiStatus, type Kube } from './client.js';
import { FIELD_MANAGER, LABELS, PART_OF_FABRIC } from './labels.js';

/** An enrolled Fabric identity. The key stays inside this process and the Secret. */
export interface Identity {
  mspId: string;
  certPem: string;
  keyPem: string;
  caChainPem?: string;
  tlsCertPem?: string;
  tlsKeyPem?: string;
  tlsCaPem?: string;
}

export interface IdentityRef {
  network: string;
  org: string;
  name: string;
}

/** Secret names are DNS-1123 subdomains; identity names from Fabric CA may hold other characters. */
function labelSafe(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

export function identitySecretName(ref: IdentityRef): string {
  return `${ref.org}-id-${labelSafe(ref.name)}`;
}

const KEYS: Array<[keyof Identity, string]> = [
  ['certPem', 'cert.pem'],
  ['keyPem', 'key.pem'],
  ['caChainPem', 'ca.pem'],
  ['tlsCertPem', 'tls.crt'],
  ['tlsKeyPem', 'tls.key'],
  ['tlsCaPem', 'tls-ca.pem'],
];

/** Writes (or replaces) the identity's Secret with server-side apply; the same call twice changes nothing. */
export async function saveIdentity(kube: Kube, namespace: string, ref: IdentityRef, id: Identity): Promise<string> {
  const stringData: Record<string, string> = { mspid: id.mspId };
  for (const [field, key] of KEYS) {
    const v = id[field];
    if (typeof v === 'string') stringData[key] = v;
  }
  return applyIdentitySecret(kube, namespace, identitySecretName(ref), ref, stringData);
}

/** A server's TLS certificate and key as a pod mounts them; `caPem` is the chain that issued it. */
export interface ServerTls {
  certPem: string;
  keyPem: string;
  caPem: string;
}

export function serverTlsSecretName(ref: IdentityRef): string {
  return `${ref.org}-tls-${labelSafe(ref.name)}`;
}

/** Writes (or replaces) the Secret a server mounts its TLS files from: tls.crt, tls.key, ca.crt. */
export async function saveServerTls(kube: Kube, namespace: string, ref: IdentityRef, tls: ServerTls): Promise<string> {
  return applyIdentitySecret(kube, namespace, serverTlsSecretName(ref), ref, {
    'tls.crt': tls.certPem,
    'tls.key': tls.keyPem,
    'ca.crt': tls.caPem,
  });
}

export async function readServerTls(kube: Kube, namespace: string, secretName: string): Promise<ServerTls | undefined> {
  const data = await readSecretData(kube, namespace, secretName);
  const [certPem, keyPem, caPem] = [data?.['tls.crt'], data?.['tls.key'], data?.['ca.crt']];
  if (certPem === undefined || keyPem === undefined || caPem === undefined) return undefined;
  return { certPem, keyPem, caPem };
}

/** Where a registered, not yet enrolled identity's enrollment secret is kept for whoever enrolls it. */
export function registrationSecretName(ref: IdentityRef): string {
  return `${ref.org}-enroll-${labelSafe(ref.name)}`;
}

export async function saveRegistration(
  kube: Kube,
  namespace: string,
  ref: IdentityRef,
  reg: { enrollmentSecret: string; caUrl: string; type: string },
): Promise<string> {
  return applyIdentitySecret(kube, namespace, registrationSecretName(ref), ref, {
    'enrollment-id': ref.name,
    'enrollment-secret': reg.enrollmentSecret,
    'ca-url': reg.caUrl,
    type: reg.type,
  });
}

async function applyIdentitySecret(
  kube: Kube,
  namespace: string,
  name: string,
  ref: IdentityRef,
  stringData: Record<string, string>,
): Promise<string> {
  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: {
        [LABELS.partOf]: PART_OF_FABRIC,
        [LABELS.managedBy]: FIELD_MANAGER,
        [LABELS.network]: ref.network,
        [LABELS.org]: ref.org,
        [LABELS.identity]: labelSafe(ref.name),
      },
      annotations: { 'fabric-chatops.io/identity-name': ref.name },
    },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
  await kube.core.patchNamespacedSecret(
    { name, namespace, body: secret, fieldManager: FIELD_MANAGER, force: true },
    setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
  );
  return name;
}

/** A Secret's data, decoded as text; undefined when the Secret does not exist. */
export async function readSecretData(kube: Kube, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    const secret = await kube.core.readNamespacedSecret({ name, namespace });
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    throw err;
  }
}

export async function readIdentity(kube: Kube, namespace: string, secretName: string): Promise<Identity | undefined> {
  const data = await readSecretData(kube, namespace, secretName);
  if (data === undefined) return undefined;
  const text = (key: string): string | undefined => data[key];
  const certPem = text('cert.pem');
  const keyPem = text('key.pem');
  if (certPem === undefined || keyPem === undefined) return undefined;
  return {
    mspId: text('mspid') ?? '',
    certPem,
    keyPem,
    caChainPem: text('ca.pem'),
    tlsCertPem: text('tls.crt'),
    tlsKeyPem: text('tls.key'),
    tlsCaPem: text('tls-ca.pem'),
  };
}

/** Certificates of every identity Secret of a network (one list call), for expiry scans. Keys are not returned. */
export async function listIdentityCertificates(
  kube: Kube,
  namespace: string,
  network: string,
): Promise<Array<{ secret: string; org: string; name: string; certPem: string }>> {
  const list = await kube.core.listNamespacedSecret({
    namespace,
    labelSelector: `${LABELS.managedBy}=${FIELD_MANAGER},${LABELS.network}=${network}`,
  });
  return list.items.flatMap((s) => {
    const cert = s.data?.['cert.pem'];
    if (cert === undefined) return [];
    return [
      {
        secret: s.metadata?.name ?? '?',
        org: s.metadata?.labels?.[LABELS.org] ?? '?',
        name: s.metadata?.annotations?.['fabric-chatops.io/identity-name'] ?? s.metadata?.name ?? '?',
        certPem: Buffer.from(cert, 'base64').toString('utf8'),
      },
    ];
  });
}
