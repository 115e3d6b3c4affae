import { X509Certificate } from 'node:crypto';
import type { NetworkConfig, OrgConfig } from '../config/model.js';
import { FabricCaClient, type RegistrarIdentity } from '../fabric/ca.js';
import type { Kube } from '../k8s/client.js';
import { readSecretData } from '../k8s/identities.js';
import { PermanentError } from './errors.js';

/** A Secret the configuration names; its absence is a configuration problem, not worth a retry. */
async function requiredSecret(kube: Kube, namespace: string, name: string): Promise<Record<string, string>> {
  const data = await readSecretData(kube, namespace, name);
  if (data === undefined) throw new PermanentError(`Secret ${namespace}/${name} does not exist`);
  return data;
}

/** An organisation's CA client and its registrar, read from the Secrets the config names. */
export async function caAccess(kube: Kube, network: NetworkConfig, org: OrgConfig): Promise<{ ca: FabricCaClient; registrar: RegistrarIdentity }> {
  const { ca } = org;
  if (ca.tlsSecret === undefined && ca.url.startsWith('https:')) {
    throw new PermanentError(`org ${org.name}: networks[].orgs[].ca.tlsSecret is needed to trust ${ca.url}`);
  }
  const tls = ca.tlsSecret === undefined ? undefined : await requiredSecret(kube, network.namespace, ca.tlsSecret);
  const reg = await requiredSecret(kube, network.namespace, ca.registrarSecret);
  const tlsRootPem = tls?.['ca.crt'];
  if (tls !== undefined && tlsRootPem === undefined) throw new PermanentError(`Secret ${ca.tlsSecret} has no ca.crt`);
  if (reg['cert.pem'] === undefined || reg['key.pem'] === undefined) throw new PermanentError(`Secret ${ca.registrarSecret} needs cert.pem and key.pem`);
  return {
    ca: new FabricCaClient({ url: ca.url, ...(ca.caName === undefined ? {} : { caName: ca.caName }), tlsRootPem: tlsRootPem ?? '' }),
    registrar: { mspId: org.mspId, certPem: reg['cert.pem'], keyPem: reg['key.pem'] },
  };
}

/** Fabric CA backdates a certificate's NotBefore by up to 5 minutes (cfssl's rounding included). */
const BACKDATING_MS = 6 * 60_000;

/**
 * After a step that an earlier attempt left half done, revokes the certificates of `id` that
 * attempt may have had issued and never stored: those issued since it started, except the ones
 * kept now. Returns the serials revoked.
 */
export async function revokeLeftovers(ca: FabricCaClient, registrar: RegistrarIdentity, id: string, interruptedAt: number, keptPems: string[]): Promise<string[]> {
  const kept = new Set(keptPems.map((pem) => new X509Certificate(pem).serialNumber.toLowerCase()));
  const leftovers = (await ca.certificates(registrar, id)).filter((c) => c.issuedAt >= interruptedAt - BACKDATING_MS && !kept.has(c.serial));
  for (const c of leftovers) await ca.revokeCertificate(registrar, id, c.pem, 'superseded');
  return leftovers.map((c) => c.serial);
}
