import type { NetworkConfig, OrgConfig } from '../../config/model.js';
import type { FabricIdentity, PeerEndpoint } from '../../fabric/connection.js';
import type { OrdererAdmin } from '../../fabric/participation.js';
import type { Kube } from '../../k8s/client.js';
import { identitySecretName, readIdentity, readSecretData } from '../../k8s/identities.js';
import { PermanentError } from '../engine/errors.js';

/** The Secret holding an org's MSP admin: networks[].orgs[].adminSecret, else <org>-id-admin. */
export const adminSecretName = (network: NetworkConfig, org: Pick<OrgConfig, 'name' | 'adminSecret'>): string =>
  org.adminSecret ?? identitySecretName({ network: network.name, org: org.name, name: 'admin' });

/**
 * Where a peer pod of the org is dialled: its address annotation, else the configured endpoint
 * at its ordinal (peers.endpoints lists ordinals 0, 1, … in order), else peers.podAddress (by
 * default the StatefulSet's DNS name).
 */
export function peerPodAddress(network: NetworkConfig, org: OrgConfig, pod: { name: string; peerAddress?: string }): string {
  const ordinal = Number(/-(\d+)$/.exec(pod.name)?.[1] ?? -1);
  return (
    pod.peerAddress ??
    org.peers.endpoints[ordinal] ??
    org.peers.podAddress
      .replaceAll('{pod}', pod.name)
      .replaceAll('{service}', org.peers.service)
      .replaceAll('{namespace}', network.namespace)
  );
}

/** An org's admin identity and the peers it acts on, from the config and its Secrets. */
export async function orgPeersAccess(
  kube: Kube,
  network: NetworkConfig,
  org: OrgConfig,
): Promise<{ admin: FabricIdentity; peers: PeerEndpoint[] }> {
  if (org.peers.endpoints.length === 0) throw new PermanentError(`org ${org.name} lists no peers.endpoints in the configuration`);
  const tlsSecret = org.peers.tlsSecret ?? org.ca.tlsSecret;
  if (tlsSecret === undefined)
    throw new PermanentError(`org ${org.name}: set peers.tlsSecret (or ca.tlsSecret) to trust its peers' TLS certificates`);
  const secret = adminSecretName(network, org);
  const [tlsData, id] = await Promise.all([
    readSecretData(kube, network.namespace, tlsSecret),
    readIdentity(kube, network.namespace, secret),
  ]);
  const tlsRootPem = tlsData?.['ca.crt'];
  if (tlsRootPem === undefined) throw new PermanentError(`Secret ${network.namespace}/${tlsSecret} with ca.crt is missing`);
  if (id === undefined) throw new PermanentError(`org ${org.name} has no admin identity in Secret ${network.namespace}/${secret}`);
  return {
    admin: { mspId: org.mspId, certPem: id.certPem, keyPem: id.keyPem },
    peers: org.peers.endpoints.map((address) => ({ address, tlsRootPem })),
  };
}

/** An org's MSP admin identity alone (what signing needs), for an application or an ordering org. */
export async function orgAdmin(
  kube: Kube,
  network: NetworkConfig,
  org: Pick<OrgConfig, 'name' | 'mspId' | 'adminSecret'>,
): Promise<FabricIdentity> {
  const secret = adminSecretName(network, org);
  const id = await readIdentity(kube, network.namespace, secret);
  if (id === undefined) throw new PermanentError(`org ${org.name} has no admin identity in Secret ${network.namespace}/${secret}`);
  return { mspId: org.mspId, certPem: id.certPem, keyPem: id.keyPem };
}

/** The root an orderer's TLS certificate chains to: ca.crt of its tlsSecret. */
export async function ordererTlsRoot(kube: Kube, network: NetworkConfig, orderer: NetworkConfig['orderers'][number]): Promise<string> {
  if (orderer.tlsSecret === undefined) throw new PermanentError(`orderer ${orderer.name}: set tlsSecret to trust its TLS certificate`);
  const pem = (await readSecretData(kube, network.namespace, orderer.tlsSecret))?.['ca.crt'];
  if (pem === undefined) throw new PermanentError(`Secret ${network.namespace}/${orderer.tlsSecret} with ca.crt is missing`);
  return pem;
}

/** The orderers config updates go to, in the configuration's order, each with the TLS root from its Secret. */
export async function ordererAccess(kube: Kube, network: NetworkConfig): Promise<PeerEndpoint[]> {
  if (network.orderers.length === 0)
    throw new PermanentError(`network ${network.name} lists no orderers: channel changes are submitted to one`);
  return Promise.all(
    network.orderers.map(async (orderer) => ({ address: orderer.endpoint, tlsRootPem: await ordererTlsRoot(kube, network, orderer) })),
  );
}

/**
 * The admin endpoints of the network's orderers that have one, each reached as the ordering org's
 * admin (the TLS client pair in that admin's identity Secret) and trusted with the orderer's TLS root.
 */
export async function ordererAdmins(kube: Kube, network: NetworkConfig): Promise<Array<OrdererAdmin & { name: string }>> {
  const withAdmin = network.orderers.filter((o) => o.adminEndpoint !== undefined);
  if (withAdmin.length === 0) return [];
  const [org] = network.ordererOrgs;
  if (org === undefined) throw new PermanentError(`network ${network.name} lists no ordererOrgs: their admin joins orderers to channels`);
  const id = await readIdentity(kube, network.namespace, adminSecretName(network, org));
  if (id?.tlsCertPem === undefined || id.tlsKeyPem === undefined)
    throw new PermanentError(
      `org ${org.name}'s admin identity has no TLS client pair (tls.crt, tls.key): the orderers' admin endpoints ask for one`,
    );
  return Promise.all(
    withAdmin.map(async (o) => ({
      name: o.name,
      endpoint: o.adminEndpoint as string,
      tlsRootPem: await ordererTlsRoot(kube, network, o),
      clientCertPem: id.tlsCertPem as string,
      clientKeyPem: id.tlsKeyPem as string,
    })),
  );
}
