import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { infraDir } from '../binaries.js';
import { onRealNode } from './placement.js';

/** The reference layout's names for what the test environment calls otherwise. */
const REFERENCE = {
  namespace: 'fabric-demo',
  network: 'demo',
  peerImage: 'hyperledger/fabric-peer:2.5',
  botImage: 'fabric-chatops:latest',
  caImage: 'hyperledger/fabric-ca:1.5',
};

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects read from YAML, walked generically.
type Manifest = Record<string, any>;

/**
 * manifests/fabric-org/org1-peer.yaml as it ships, made to run on the real node: the test
 * network's namespace and name, the images built here (never pulled), the node selected and its
 * taint tolerated, and ordinals from `firstOrdinal` (ordinals below it are the environment's own
 * peers, processes on this machine), none running until the bot scales the StatefulSet.
 * `bootstrap` is the peer new ones gossip with first.
 */
export function orgPeerManifests(opts: {
  namespace: string;
  network: string;
  images: { peer: string; bot: string };
  firstOrdinal: number;
  bootstrap: string;
}): Manifest[] {
  const docs = shippedManifests('org1-peer.yaml', opts);
  for (const doc of docs) {
    if (doc.kind !== 'StatefulSet') continue;
    doc.spec.replicas = 0;
    doc.spec.ordinals = { start: opts.firstOrdinal };
    const template = doc.spec.template;
    template.metadata.labels['fabric-chatops.io/network'] = opts.network;
    template.spec.terminationGracePeriodSeconds = 5;
    onRealNode(template.spec, { [REFERENCE.peerImage]: opts.images.peer, [REFERENCE.botImage]: opts.images.bot });
    for (const c of template.spec.containers)
      for (const e of c.env ?? []) if (e.name === 'CORE_PEER_GOSSIP_BOOTSTRAP') e.value = opts.bootstrap;
  }
  return docs;
}

/**
 * manifests/fabric-org/org1-ca.yaml copied for `org`, as its kustomization says to do per org
 * (names, labels and certificate hosts renamed), run on the real node with the CA image built here.
 */
export function orgCaManifests(opts: { namespace: string; network: string; org: string; image: string }): Manifest[] {
  const docs = shippedManifests('org1-ca.yaml', opts, (text) => text.replaceAll('org1', opts.org));
  for (const doc of docs) {
    const template = doc.spec?.template;
    if (doc.kind === 'Deployment') {
      template.metadata.labels['fabric-chatops.io/network'] = opts.network;
      template.spec.terminationGracePeriodSeconds = 5;
      onRealNode(template.spec, { [REFERENCE.caImage]: opts.image });
    }
  }
  return docs;
}

/** A file of manifests/fabric-org in the test network's namespace and name, optionally edited first. */
function shippedManifests(name: string, opts: { namespace: string; network: string }, edit = (text: string) => text): Manifest[] {
  const file = path.join(infraDir, '..', '..', 'manifests', 'fabric-org', name);
  const text = edit(readFileSync(file, 'utf8')).replaceAll(`.${REFERENCE.namespace}.svc`, `.${opts.namespace}.svc`);
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Manifest);
  for (const doc of docs) {
    doc.metadata.namespace = opts.namespace;
    if (doc.metadata.labels?.['fabric-chatops.io/network'] !== undefined) doc.metadata.labels['fabric-chatops.io/network'] = opts.network;
  }
  return docs;
}

/** Creates the objects, as `kubectl create -f` would. */
export async function createObjects(kubeconfigPath: string, docs: Manifest[]): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const doc of docs) await api.create(doc);
}

/** The gRPC target a program on this machine dials a peer pod at: resolved by the cluster's DNS (see README, peers.podAddress). */
export const podAddressThroughClusterDns = (dnsServer: string): string =>
  `dns://${dnsServer}:53/{pod}.{service}.{namespace}.svc.cluster.local:7051`;
