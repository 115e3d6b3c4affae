import { X509Certificate } from 'node:crypto';
import type { NetworkConfig, OrgConfig } from '../../config/model.js';
import { FabricCaClient, ForeignIdentityError, type CaEndpoint, type RegistrarIdentity } from '../../fabric/ca.js';
import type { Kube } from '../../k8s/client.js';
import { readIdentity, readSecretData } from '../../k8s/identities.js';
import { PermanentError } from '../engine/errors.js';
import { adminSecretName } from './fabric-access.js';

/** How many identities a job enrols at once at an org's CA (scaling by several peers). */
export const CA_CONCURRENCY = 4;

/** A Secret the configuration names; its absence is a configuration problem, not worth a retry. */
async function requiredSecret(kube: Kube, namespace: string, name: string): Promise<Record<string, string>> {
  const data = await readSecretData(kube, namespace, name);
  if (data === undefined) throw new PermanentError(`Secret ${namespace}/${name} does not exist`);
  return data;
}

/** Where an organisation's CA answers and the TLS root it is trusted with, from the Secret the config names. */
export async function caEndpoint(kube: Kube, network: NetworkConfig, org: OrgConfig): Promise<CaEndpoint> {
  const { ca } = org;
  if (ca.tlsSecret === undefined && ca.url.startsWith('https:')) {
    throw new PermanentError(`org ${org.name}: networks[].orgs[].ca.tlsSecret is needed to trust ${ca.url}`);
  }
  const tls = ca.tlsSecret === undefined ? undefined : await requiredSecret(kube, network.namespace, ca.tlsSecret);
  const tlsRootPem = tls?.['ca.crt'];
  if (tls !== undefined && tlsRootPem === undefined) throw new PermanentError(`Secret ${ca.tlsSecret} has no ca.crt`);
  return { url: ca.url, ...(ca.caName === undefined ? {} : { caName: ca.caName }), tlsRootPem: tlsRootPem ?? '' };
}

/** An organisation's CA client and its registrar, read from the Secrets the config names. */
export async function caAccess(
  kube: Kube,
  network: NetworkConfig,
  org: OrgConfig,
): Promise<{ ca: FabricCaClient; registrar: RegistrarIdentity }> {
  // Read at once; when both fail, the TLS Secret's failure is the one told, as when they were read in turn.
  const [read, registrarRead] = await Promise.allSettled([
    caEndpoint(kube, network, org),
    requiredSecret(kube, network.namespace, org.ca.registrarSecret),
  ]);
  if (read.status === 'rejected') throw read.reason;
  if (registrarRead.status === 'rejected') throw registrarRead.reason;
  const [endpoint, reg] = [read.value, registrarRead.value];
  if (reg['cert.pem'] === undefined || reg['key.pem'] === undefined)
    throw new PermanentError(`Secret ${org.ca.registrarSecret} needs cert.pem and key.pem`);
  return {
    ca: new FabricCaClient(endpoint),
    registrar: { mspId: org.mspId, certPem: reg['cert.pem'], keyPem: reg['key.pem'] },
  };
}

/** Registering over an identity someone else registered is a refusal, not a failure worth a retry. */
export async function refusingForeign<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof ForeignIdentityError) throw new PermanentError(err.message);
    throw err;
  }
}

const commonName = (pem: string): string | undefined => /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(pem).subject)?.[1];

/**
 * Refuses to touch an identity the configuration relies on: the registrar the bot registers with
 * (ca.registrarSecret) and the org's MSP admin (adminSecret). Changing either locks the org out.
 */
export async function refuseConfiguredIdentity(
  kube: Kube,
  network: NetworkConfig,
  org: OrgConfig,
  registrar: RegistrarIdentity,
  name: string,
): Promise<void> {
  if (commonName(registrar.certPem) === name) {
    throw new PermanentError(
      `${name} is ${org.name}'s CA registrar (Secret ${org.ca.registrarSecret}), which the bot works with and never changes`,
    );
  }
  const adminSecret = adminSecretName(network, org);
  const admin = await readIdentity(kube, network.namespace, adminSecret);
  if (admin !== undefined && commonName(admin.certPem) === name) {
    throw new PermanentError(`${name} is ${org.name}'s MSP admin (Secret ${adminSecret}), which the bot signs with and never changes`);
  }
}

/**
 * The step that records which certificates an identity had before this job asked for more, so
 * that a retry can tell (and revoke) what an interrupted attempt was issued and never stored.
 */
export const NOTE_ISSUED = { key: 'note-issued', title: 'Note what the CA has already issued' } as const;

/** NOTE_ISSUED for one identity: notes how many valid certificates it has and returns their serials. */
export async function noteIssued(
  ca: FabricCaClient,
  registrar: RegistrarIdentity,
  id: string,
  note: (detail: string) => Promise<void>,
): Promise<string[]> {
  const serials = await validSerials(ca, registrar, id);
  await note(`${id}: ${serials.length === 0 ? 'no' : serials.length} valid certificate${serials.length === 1 ? '' : 's'}`);
  return serials;
}

/** The serials of the certificates the CA has issued to `id` that are neither revoked nor expired. */
export async function validSerials(ca: FabricCaClient, registrar: RegistrarIdentity, id: string): Promise<string[]> {
  return (await ca.certificates(registrar, id)).map((c) => c.serial);
}

/**
 * After a step that an earlier attempt left half done, revokes the certificates of `id` that
 * attempt may have had issued and never stored: the valid ones that were not there before the
 * step first ran (`knownBefore`, from validSerials) and are not kept now. Issue dates cannot tell
 * them apart: Fabric CA dates every certificate from its own certificate's NotBefore.
 * Returns the serials revoked.
 */
export async function revokeLeftovers(
  ca: FabricCaClient,
  registrar: RegistrarIdentity,
  id: string,
  knownBefore: readonly string[],
  keptPems: string[],
): Promise<string[]> {
  const spared = new Set([...knownBefore, ...keptPems.map((pem) => new X509Certificate(pem).serialNumber.toLowerCase())]);
  const leftovers = (await ca.certificates(registrar, id)).filter((c) => !spared.has(c.serial));
  for (const c of leftovers) await ca.revokeCertificate(registrar, id, c.pem, 'superseded');
  return leftovers.map((c) => c.serial);
}
