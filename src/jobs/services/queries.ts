import { X509Certificate } from 'node:crypto';
import { identityCertificates, type IdentityCertificate } from './identity-expiry.js';
import { identitySecretName, readIdentity, readSecretData, registrationSecretName } from '../../k8s/identities.js';
import type { RegisteredIdentity } from '../../fabric/ca.js';
import { caAccess } from './ca-access.js';
import { fabricPods, type PodStatus } from '../../k8s/status.js';

export type { PodStatus } from '../../k8s/status.js';
import type { NetworkConfig } from '../../config/model.js';
import { ledgerHeight } from '../../fabric/channel.js';
import { channelConfig } from '../../fabric/channel-config.js';
import { summarizeConfig, type ChannelSummary } from '../../fabric/config-summary.js';
import type { PeerEndpoint } from '../../fabric/connection.js';
import { ordererAdmins, orgPeersAccess, peerPodAddress } from './fabric-access.js';
import { ordererChannel } from '../../fabric/participation.js';
import { managedChannel, managedChannels } from './created-channels.js';
import { raftLeadership } from '../../fabric/operations.js';
import { networkNamed, orgNamed, type Platform } from './platform.js';
import { podLogTail } from '../../k8s/pod-watch.js';
import { LABELS, fabricSelector } from '../../k8s/labels.js';
import { scrubText } from '../../log.js';
import { isManaged } from '../../fabric/ca.js';
import { PermanentError } from '../engine/errors.js';

/**
 * Reads the Slack edge asks of the workers (see query-bus.ts): whatever needs a key or a Secret
 * (an org admin's identity for ledger heights, the registrar for the CA's records, the identity
 * Secrets for certificate expiry) is read here, by a worker, and only data without secrets goes
 * back. The bot process holds no Kubernetes credentials and no key.
 */
export interface Queries {
  'network-status': { params: { org?: string; withMetrics?: boolean; withLedgers?: boolean }; result: NetworkStatus };
  'identity-certificates': { params: Record<string, never>; result: IdentityCertificate[] };
  'identity-details': { params: { org: string; name: string }; result: IdentityDetails };
  'pod-logs': { params: { pod: string; lines: number }; result: { namespace: string; pod: string; text: string } };
  /** A channel's configuration as the peers have it, summarised (read as the first org's admin). */
  'channel-config': { params: { channel?: string }; result: ChannelSummary & { channel: string } };
  /** The org a Fabric pod belongs to (its label), which decides who may act on it. */
  'pod-owner': { params: { pod: string }; result: { namespace: string; pod: string; org?: string; component?: string } };
}

export type QueryName = keyof Queries;
export type QueryParams<K extends QueryName> = Queries[K]['params'];
export type QueryResult<K extends QueryName> = Queries[K]['result'];
export type QueryHandlers = {
  readonly [K in QueryName]: (platform: Platform, network: string, params: QueryParams<K>) => Promise<QueryResult<K>>;
};

/** A Fabric pod of the network (by the labels the reference layout sets), or a refusal naming it. */
async function fabricPod(platform: Platform, networkName: string, pod: string) {
  const network = networkNamed(platform.config, networkName);
  const list = await platform
    .kube()
    .core.listNamespacedPod({ namespace: network.namespace, labelSelector: fabricSelector, fieldSelector: `metadata.name=${pod}` });
  const found = list.items[0];
  if (found === undefined) throw new PermanentError(`no Fabric pod ${pod} in ${network.namespace}`);
  return { network, pod: found };
}

export const queryHandlers: QueryHandlers = {
  'network-status': (platform, network, params) => networkStatus(platform, network, params),
  'identity-certificates': (platform, network) => identityCertificates(platform, network),
  'identity-details': (platform, network, { org, name }) => identityDetails(platform, network, org, name),
  async 'pod-logs'(platform, networkName, { pod, lines }) {
    const { network } = await fabricPod(platform, networkName, pod);
    // Logs can carry anything: they are scrubbed before they leave the worker.
    return { namespace: network.namespace, pod, text: scrubText(await podLogTail(platform.kube(), network.namespace, pod, lines)) };
  },
  async 'channel-config'(platform, networkName, { channel: asked }) {
    const network = networkNamed(platform.config, networkName);
    const channel = await managedChannel(platform.createdChannels, network, asked);
    const [org] = network.orgs;
    if (org === undefined) throw new PermanentError(`network ${network.name} has no orgs`);
    const { admin, peers } = await orgPeersAccess(platform.kube(), network, org);
    return { channel, ...summarizeConfig(await channelConfig(peers[0] as PeerEndpoint, admin, channel)) };
  },
  async 'pod-owner'(platform, networkName, { pod }) {
    const { network, pod: found } = await fabricPod(platform, networkName, pod);
    const labels = found.metadata?.labels ?? {};
    return {
      namespace: network.namespace,
      pod,
      ...(labels[LABELS.org] === undefined ? {} : { org: labels[LABELS.org] }),
      ...(labels[LABELS.component] === undefined ? {} : { component: labels[LABELS.component] }),
    };
  },
};

export interface NetworkStatus {
  network: string;
  namespace: string;
  pods: PodStatus[];
  /** One row per peer pod and channel, when asked for. */
  ledgers?: LedgerHeight[];
  /** With the ledgers: one row per orderer with an admin endpoint and channel the bot manages. */
  orderers?: OrdererChannelState[];
}

/** A channel as an orderer's participation API has it (osnadmin channel list). */
export interface OrdererChannelState {
  channel: string;
  orderer: string;
  /** consenter or follower; undefined when the orderer is not on the channel or did not answer. */
  relation?: string;
  /** active, onboarding, inactive or failed. */
  state?: string;
  height?: number;
  /** Whether it leads the channel's Raft cluster, as its operations service says; undefined when not asked or not known. */
  leader?: boolean;
  /** Why it is unknown. */
  error?: string;
}

export interface LedgerHeight {
  channel: string;
  org: string;
  pod: string;
  height?: number;
  /** Why the height is unknown. */
  error?: string;
  /** Blocks below the highest peer of the channel. */
  behind?: number;
}

const LEDGER_QUERY_TIMEOUT_MS = 4000;

/** Read-only views answered straight away, without a job. */
export async function networkStatus(
  platform: Platform,
  networkName: string | undefined,
  opts: { org?: string; withMetrics?: boolean; withLedgers?: boolean } = {},
): Promise<NetworkStatus> {
  const network = networkNamed(platform.config, networkName);
  if (opts.org !== undefined) orgNamed(network, opts.org);
  const pods = await fabricPods(platform.kube(), network.namespace, opts);
  if (opts.withLedgers !== true) return { network: network.name, namespace: network.namespace, pods };
  const [ledgers, orderers] = await Promise.all([ledgerHeights(platform, network, pods), ordererStates(platform, network)]);
  return { network: network.name, namespace: network.namespace, pods, ledgers, ...(orderers.length === 0 ? {} : { orderers }) };
}

/** Each orderer with an admin endpoint, asked for each channel the bot manages, all at once, each bounded by a short timeout. */
async function ordererStates(platform: Platform, network: NetworkConfig): Promise<OrdererChannelState[]> {
  const named = network.orderers.filter((o) => o.adminEndpoint !== undefined).map((o) => o.name);
  if (named.length === 0) return [];
  const channels = await managedChannels(platform.createdChannels, network);
  let admins: Awaited<ReturnType<typeof ordererAdmins>>;
  try {
    admins = await ordererAdmins(platform.kube(), network);
  } catch (err) {
    return named.flatMap((orderer) => channels.map((channel) => ({ channel, orderer, error: errorText(err) })));
  }
  // Each orderer's Raft leadership, read once for all its channels; unknown when it cannot be read.
  const leadership = new Map(
    admins.map((admin) => {
      const url = network.orderers.find((o) => o.name === admin.name)?.operationsUrl;
      const read =
        url === undefined
          ? Promise.resolve(undefined)
          : raftLeadership({ url, tlsRootPem: admin.tlsRootPem }, LEDGER_QUERY_TIMEOUT_MS).catch(() => undefined);
      return [admin.name, read] as const;
    }),
  );
  return Promise.all(
    admins.flatMap((admin) =>
      channels.map(async (channel): Promise<OrdererChannelState> => {
        try {
          const [info, leads] = await Promise.all([ordererChannel(admin, channel, LEDGER_QUERY_TIMEOUT_MS), leadership.get(admin.name)]);
          if (info === undefined) return { channel, orderer: admin.name, error: 'not on the channel' };
          const leader = leads?.get(channel);
          return {
            channel,
            orderer: admin.name,
            relation: info.consensusRelation,
            state: info.status,
            height: info.height,
            ...(leader === undefined ? {} : { leader }),
          };
        } catch (err) {
          return { channel, orderer: admin.name, error: errorText(err) };
        }
      }),
    ),
  );
}

/**
 * Each running peer pod's height on each of the network's channels (qscc GetChainInfo asked of
 * that peer, as its org's admin), all at once, each bounded by a short timeout.
 */
async function ledgerHeights(platform: Platform, network: NetworkConfig, pods: PodStatus[]): Promise<LedgerHeight[]> {
  const peers = pods.filter((p) => p.component === 'peer' && p.phase === 'Running' && p.org !== undefined);
  const byOrg = new Map<string, PodStatus[]>();
  for (const p of peers) byOrg.set(p.org as string, [...(byOrg.get(p.org as string) ?? []), p]);
  const rows = (
    await Promise.all(
      [...byOrg.entries()].map(async ([orgName, orgPods]): Promise<LedgerHeight[]> => {
        const org = network.orgs.find((o) => o.name === orgName);
        if (org === undefined) return [];
        let access: Awaited<ReturnType<typeof orgPeersAccess>>;
        try {
          access = await orgPeersAccess(platform.kube(), network, org);
        } catch (err) {
          return orgPods.flatMap((p) =>
            network.fabricChannels.map((channel) => ({ channel, org: orgName, pod: p.name, error: errorText(err) })),
          );
        }
        const tlsRootPem = (access.peers[0] as PeerEndpoint).tlsRootPem;
        return Promise.all(
          orgPods.flatMap((p) =>
            network.fabricChannels.map(async (channel): Promise<LedgerHeight> => {
              const target = { address: peerPodAddress(network, org, p), tlsRootPem };
              try {
                return {
                  channel,
                  org: orgName,
                  pod: p.name,
                  height: await ledgerHeight(target, access.admin, channel, LEDGER_QUERY_TIMEOUT_MS),
                };
              } catch (err) {
                return { channel, org: orgName, pod: p.name, error: errorText(err) };
              }
            }),
          ),
        );
      }),
    )
  ).flat();
  const top = new Map<string, number>();
  for (const r of rows) if (r.height !== undefined) top.set(r.channel, Math.max(top.get(r.channel) ?? 0, r.height));
  return rows.map((r) => (r.height === undefined ? r : { ...r, behind: (top.get(r.channel) ?? r.height) - r.height }));
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';

export interface StoredCertificate {
  secret: string;
  subject: string;
  issuer: string;
  serial: string;
  validFrom: string;
  validTo: string;
  subjectAltNames?: string;
  hasTls: boolean;
}

export interface IdentityDetails {
  org: string;
  name: string;
  /** As the org's CA has it (its hf.* and bookkeeping attributes left out); undefined when the CA does not know the name. */
  registered?: RegisteredIdentity & { byBot: boolean };
  /** The enrolled certificate in its Secret, when there is one. Keys are never read out. */
  stored?: StoredCertificate;
  /** The Secret holding an enrollment secret not used yet, when `cert register` made one. */
  registrationSecret?: string;
}

/** One identity: what the CA has registered and what the cluster stores, side by side. */
export async function identityDetails(
  platform: Platform,
  networkName: string | undefined,
  orgName: string,
  name: string,
): Promise<IdentityDetails> {
  const network = networkNamed(platform.config, networkName);
  const org = orgNamed(network, orgName);
  const kube = platform.kube();
  const ref = { network: network.name, org: org.name, name };
  const { ca, registrar } = await caAccess(kube, network, org);
  const [registered, identity, registration] = await Promise.all([
    ca.identity(registrar, name),
    readIdentity(kube, network.namespace, identitySecretName(ref)),
    readSecretData(kube, network.namespace, registrationSecretName(ref)),
  ]);
  let stored: StoredCertificate | undefined;
  if (identity !== undefined) {
    const cert = new X509Certificate(identity.certPem);
    stored = {
      secret: identitySecretName(ref),
      subject: cert.subject.replace(/\n/g, ', '),
      issuer: cert.issuer.replace(/\n/g, ', '),
      serial: cert.serialNumber.toLowerCase(),
      validFrom: new Date(cert.validFrom).toISOString(),
      validTo: new Date(cert.validTo).toISOString(),
      ...(cert.subjectAltName === undefined ? {} : { subjectAltNames: cert.subjectAltName }),
      hasTls: identity.tlsCertPem !== undefined,
    };
  }
  const shown =
    registered === undefined
      ? undefined
      : {
          ...registered,
          attrs: registered.attrs.filter((a) => !a.name.startsWith('hf.') && !a.name.startsWith('fabric-chatops.')),
          byBot: isManaged(registered),
        };
  return {
    org: org.name,
    name,
    ...(shown === undefined ? {} : { registered: shown }),
    ...(stored === undefined ? {} : { stored }),
    ...(registration === undefined ? {} : { registrationSecret: registrationSecretName(ref) }),
  };
}
