import type * as kinds from '../kinds.js';
import { X509Certificate } from 'node:crypto';
import pMap from 'p-map';
import { identitySecretName, readIdentity, saveIdentity } from '../../../k8s/identities.js';
import { currentReplicas, firstOrdinal, setReplicas, waitForReplicas, podNamesForOrdinals } from '../../../k8s/peers.js';
import type { NetworkConfig, OrgConfig } from '../../../config/model.js';
import { genesisBlock, joinPeer, ledgerHeight } from '../../../fabric/channel.js';
import { withGateway, type PeerEndpoint } from '../../../fabric/connection.js';
import { installedPackageBytes, installedPackages, installPackage } from '../../../fabric/lifecycle.js';
import type { Kube } from '../../../k8s/client.js';
import { PEER_ADDRESS_ANNOTATION } from '../../../k8s/labels.js';
import { CA_CONCURRENCY, caAccess, NOTE_ISSUED, refusingForeign, revokeLeftovers, validSerials } from '../../services/ca-access.js';
import { orgPeersAccess, peerPodAddress } from '../../services/fabric-access.js';
import { networkNamed, orgNamed } from '../../services/platform.js';
import { retry } from '../../../retry.js';
import type { JobContext, JobHandler } from '../../engine/worker.js';

const DEFAULT_TIMEOUT_S = 300;

/** Scale an organisation's peer StatefulSet and wait until every peer is Ready. */
export const peersScale: JobHandler<typeof kinds.peersScale> = async (ctx, { org, replicas, timeoutSeconds }) => {
  const timeoutMs = (timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000;
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  const orgConfig = orgNamed(network, org);
  const { statefulSet, service } = orgConfig.peers;
  const kube = ctx.platform.kube();

  const from = await ctx.step({ key: 'read-the-current-size', title: 'Read the current size' }, async (note) => {
    const n = await currentReplicas(kube, network.namespace, statefulSet);
    await note(`${statefulSet}: ${n} replica${n === 1 ? '' : 's'}`);
    return n;
  });
  const start = await ctx.prepare('Read the first ordinal', () => firstOrdinal(kube, network.namespace, statefulSet));
  const added = replicas > from ? podNamesForOrdinals(statefulSet, from, replicas, start) : [];
  const removed = replicas < from ? podNamesForOrdinals(statefulSet, replicas, from, start).reverse() : [];
  // Each new peer gets its own identity from the org's CA before its pod exists: the pod reads
  // the Secret <org>-id-<pod> (see manifests/fabric-org). Peers enrolled earlier keep theirs.
  const ENROLL = { key: 'enroll-new-peers', title: 'Enroll identities for the new peers' };
  const issuedBefore: Record<string, string[]> =
    added.length === 0
      ? {}
      : await ctx.step(NOTE_ISSUED, async (note) => {
          const { ca, registrar } = await caAccess(kube, network, orgConfig);
          const found = await pMap(added, (pod) => validSerials(ca, registrar, pod), { concurrency: CA_CONCURRENCY });
          const serials: Record<string, string[]> = Object.fromEntries(added.map((pod, i) => [pod, found[i] ?? []]));
          const issued = Object.values(serials).reduce((n, s) => n + s.length, 0);
          await note(`${added.join(', ')}: ${issued} valid certificate${issued === 1 ? '' : 's'}`);
          return serials;
        });
  await ctx.step(ENROLL, async (note) => {
    if (added.length === 0) {
      await note('no new peers');
      return;
    }
    const { ca, registrar } = await caAccess(kube, network, orgConfig);
    // Several at once: the CA's time per identity, not the bot's, is what scaling by many waits on.
    await pMap(
      added,
      async (pod) => {
        const ref = { network: network.name, org, name: pod };
        if ((await readIdentity(kube, network.namespace, identitySecretName(ref))) !== undefined) {
          await note(`${pod}: already enrolled`);
          return;
        }
        const secret = await refusingForeign(() => ca.register(registrar, { id: pod, type: 'peer' }));
        const signing = await ca.enroll({ id: pod, secret });
        const hosts = [
          '127.0.0.1',
          'localhost',
          pod,
          `${pod}.${service}.${network.namespace}.svc`,
          `${pod}.${service}.${network.namespace}.svc.cluster.local`,
        ];
        const tls = await ca.enroll({ id: pod, secret, profile: 'tls', hosts });
        await saveIdentity(kube, network.namespace, ref, {
          mspId: orgConfig.mspId,
          certPem: signing.certPem,
          keyPem: signing.keyPem,
          caChainPem: signing.caChainPem,
          tlsCertPem: tls.certPem,
          tlsKeyPem: tls.keyPem,
          tlsCaPem: tls.caChainPem,
        });
        await note(`${pod}: enrolled (certificate serial ${new X509Certificate(signing.certPem).serialNumber})`);
        if (ctx.interruptedAt(ENROLL) !== undefined) {
          const revoked = await revokeLeftovers(ca, registrar, pod, issuedBefore[pod] ?? [], [signing.certPem, tls.certPem]);
          if (revoked.length > 0)
            await note(`${pod}: enrolled; revoked ${revoked.join(', ')}, issued to an interrupted attempt and never stored`);
        }
      },
      { concurrency: CA_CONCURRENCY },
    );
  });
  await ctx.step({ key: 'scale-the-statefulset', title: 'Scale the StatefulSet' }, async (note) => {
    if (from === replicas) {
      await note(`already at ${replicas}`);
      return;
    }
    await setReplicas(kube, network.namespace, statefulSet, replicas);
    await note(`${from} → ${replicas}${removed.length > 0 ? `; removing ${removed.join(', ')}` : ''}`);
  });
  const waitedMs = await ctx.step({ key: 'wait-until-every-peer-is-ready', title: 'Wait until every peer is Ready' }, async (note) =>
    waitForReplicas(kube, network.namespace, statefulSet, replicas, {
      timeoutMs,
      pollMs: 250,
      signal: ctx.signal,
      onProgress: (p) => note(`${p.ready} of ${p.desired} ready (${p.current} pods)`),
    }),
  );
  if (added.length > 0 && orgConfig.peers.endpoints.length > 0 && network.fabricChannels.length > 0) {
    await joinNewPeers(ctx, { kube, network, org: orgConfig, pods: added, deadline: Date.now() + timeoutMs });
  }
  return {
    summary:
      from === replicas ? `${org} already had ${replicas} peers, all Ready` : `${org} peers scaled from ${from} to ${replicas}, all Ready`,
    fields: [
      { label: 'StatefulSet', value: `${network.namespace}/${statefulSet}` },
      { label: 'Replicas', value: `${from} → ${replicas}` },
      ...(added.length > 0 ? [{ label: 'Added', value: added.join(', ') }] : []),
      ...(removed.length > 0 ? [{ label: 'Removed', value: removed.join(', ') }] : []),
      { label: 'Waited for readiness', value: `${Math.round(Number(waitedMs) / 100) / 10} s` },
    ],
  };
};

/**
 * Tries `f` every quarter second until it succeeds or the deadline passes: a new peer takes a
 * moment to listen, and a joined one to pull the blocks it lacks (often well under a second).
 */
const untilDeadline = <T>(deadline: number, f: () => Promise<T>): Promise<T> =>
  retry(f, { delayMs: 250, withinMs: Math.max(0, deadline - Date.now()) });

async function peerAddress(kube: Kube, network: NetworkConfig, org: OrgConfig, pod: string): Promise<string> {
  const p = await kube.core.readNamespacedPod({ name: pod, namespace: network.namespace });
  return peerPodAddress(network, org, { name: pod, peerAddress: p.metadata?.annotations?.[PEER_ADDRESS_ANNOTATION] });
}

/**
 * New peers join every channel of the network (block 0 read from an existing peer), get the
 * chaincode packages that peer has installed, and are waited for until they reach its height.
 */
async function joinNewPeers(
  ctx: JobContext,
  o: { kube: Kube; network: NetworkConfig; org: OrgConfig; pods: string[]; deadline: number },
): Promise<void> {
  const { admin, peers } = await ctx.prepare(`Read ${o.org.name}'s admin identity and peers`, () =>
    orgPeersAccess(o.kube, o.network, o.org),
  );
  const reference = peers[0] as PeerEndpoint;
  const target = async (pod: string): Promise<PeerEndpoint> => ({
    address: await peerAddress(o.kube, o.network, o.org, pod),
    tlsRootPem: reference.tlsRootPem,
  });
  await ctx.step({ key: 'join-the-new-peers-to-the-channels', title: 'Join the new peers to the channels' }, async (note) => {
    for (const channel of o.network.fabricChannels) {
      const block = await withGateway(reference, admin, (g) => genesisBlock(g, channel));
      for (const pod of o.pods) {
        const r = await untilDeadline(o.deadline, async () => joinPeer(await target(pod), admin, block));
        await note(`${pod}: ${r === 'joined' ? 'joined' : 'already on'} ${channel}`);
      }
    }
  });
  await ctx.step({ key: 'install-the-chaincodes-the-org-runs', title: 'Install the chaincodes the org runs' }, async (note) => {
    const packages = await installedPackages(reference, admin);
    if (packages.length === 0) await note('none installed on the org’s peers');
    for (const packageId of packages) {
      const bytes = await installedPackageBytes(reference, admin, packageId);
      for (const pod of o.pods) {
        const r = await untilDeadline(o.deadline, async () => installPackage(await target(pod), admin, bytes));
        await note(`${pod}: ${packageId.split(':')[0] ?? packageId} ${r.alreadyInstalled ? 'already installed' : 'installed'}`);
      }
    }
  });
  await ctx.step({ key: 'wait-until-the-new-peers-catch-up', title: 'Wait until the new peers catch up' }, async (note) => {
    for (const channel of o.network.fabricChannels) {
      for (const pod of o.pods) {
        const peer = await target(pod);
        const heights = await untilDeadline(o.deadline, async () => {
          const [mine, theirs] = await Promise.all([ledgerHeight(peer, admin, channel), ledgerHeight(reference, admin, channel)]);
          if (mine < theirs) throw new Error(`${pod} is at ${mine} of ${theirs} blocks on ${channel}`);
          return mine;
        });
        await note(`${pod}: ${heights} blocks on ${channel}, as its siblings`);
      }
    }
  });
}
