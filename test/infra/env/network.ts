import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1ObjectMeta } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { connectKube } from '../../../src/k8s/client.js';
import { saveIdentity } from '../../../src/k8s/identities.js';
import { LABELS, PART_OF_FABRIC } from '../../../src/k8s/labels.js';
import { enrollRegistrar, type FabricCa } from './fabric-ca.js';

export const NETWORK = 'testnet';
/** The ordering org, in the bot's configuration as networks[].ordererOrgs (its admin signs orderer group changes). */
export const ORDERER_ORG = 'ordererorg';
export const NAMESPACE = 'fabric-test';

const meta = (name: string, component: string, org?: string): V1ObjectMeta => ({
  name,
  namespace: NAMESPACE,
  labels: {
    [LABELS.partOf]: PART_OF_FABRIC,
    [LABELS.component]: component,
    [LABELS.network]: NETWORK,
    ...(org === undefined ? {} : { [LABELS.org]: org }),
  },
});

const container = (name: string, port: number) => ({
  name,
  image: `hyperledger/fabric-${name}:2.5`,
  ports: [{ containerPort: port }],
  resources: { requests: { cpu: '50m', memory: '64Mi' } },
});

function workload(kind: 'peer' | 'ca' | 'orderer', name: string, org: string | undefined, port: number) {
  const labels = meta(name, kind, org).labels as Record<string, string>;
  const selector = { [LABELS.component]: kind, ...(org === undefined ? {} : { [LABELS.org]: org }) };
  return {
    metadata: meta(name, kind, org),
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: { metadata: { labels }, spec: { containers: [container(kind === 'ca' ? 'ca' : kind, port)] } },
    },
  };
}

/**
 * The Kubernetes objects that describe the test network, as an operator would have applied them
 * (manifests/fabric-org/ is the reference): CA Deployments, peer and orderer StatefulSets,
 * Services, and per org the Secrets holding the CA's TLS root and the registrar's enrolled identity.
 */
export async function createNetworkObjects(
  kubeconfigPath: string,
  cas: FabricCa[],
  workDir: string,
  /** Orgs whose peer StatefulSet and Service come from elsewhere (the real node's, from manifests/). */
  peersElsewhere: string[] = [],
): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  for (const ca of cas) {
    const org = ca.org;
    const mspHome = path.join(workDir, 'registrars', org);
    await enrollRegistrar(ca, mspHome);
    const msp = path.join(mspHome, 'msp');
    const keyFile = readdirSync(path.join(msp, 'keystore'))[0] as string;
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: {
        metadata: meta(`${org}-ca-registrar`, 'ca', org),
        type: 'Opaque',
        stringData: {
          'cert.pem': readFileSync(path.join(msp, 'signcerts', 'cert.pem'), 'utf8'),
          'key.pem': readFileSync(path.join(msp, 'keystore', keyFile), 'utf8'),
          enrollmentId: ca.registrar.id,
        },
      },
    });
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: { metadata: meta(`${org}-ca-tls`, 'ca', org), type: 'Opaque', stringData: { 'ca.crt': readFileSync(ca.tlsCert, 'utf8') } },
    });
    await apps.createNamespacedDeployment({ namespace: NAMESPACE, body: workload('ca', `${org}-ca`, org, 7054) });
    await core.createNamespacedService({
      namespace: NAMESPACE,
      body: {
        metadata: meta(`${org}-ca`, 'ca', org),
        spec: { selector: { [LABELS.component]: 'ca', [LABELS.org]: org }, ports: [{ name: 'https', port: 7054 }] },
      },
    });
    if (peersElsewhere.includes(org)) continue;
    const peers = workload('peer', `${org}-peer`, org, 7051);
    await apps.createNamespacedStatefulSet({
      namespace: NAMESPACE,
      body: { ...peers, spec: { ...peers.spec, serviceName: `${org}-peer`, podManagementPolicy: 'Parallel' } },
    });
    await core.createNamespacedService({
      namespace: NAMESPACE,
      body: {
        metadata: meta(`${org}-peer`, 'peer', org),
        spec: { clusterIP: 'None', selector: { [LABELS.component]: 'peer', [LABELS.org]: org }, ports: [{ name: 'grpc', port: 7051 }] },
      },
    });
  }
  const orderer = workload('orderer', 'orderer', undefined, 7050);
  await apps.createNamespacedStatefulSet({ namespace: NAMESPACE, body: { ...orderer, spec: { ...orderer.spec, serviceName: 'orderer' } } });
}

/** The bot's configuration for this environment: the same YAML model it reads in production. */
export function botConfigYaml(
  cas: FabricCa[],
  peerEndpoints: Record<string, string[]>,
  /** Per org, peers.podAddress (the default when absent). */
  podAddress: Record<string, string> = {},
  /** The orderers config updates go to, the first that takes them (their TLS root in the Secret ORDERER_TLS_SECRET), and their admin endpoints. */
  orderers: { address: string; admin: string; operations?: string }[] = [],
): string {
  return stringify({
    slack: { command: '/fabric' },
    networks: [
      {
        name: NETWORK,
        namespace: NAMESPACE,
        channels: ['C0OPS'],
        alertChannel: 'C0ALERTS',
        fabricChannels: ['mychannel'],
        orderers: orderers.map((o, i) => ({
          name: `orderer${i}`,
          endpoint: o.address,
          tlsSecret: ORDERER_TLS_SECRET,
          adminEndpoint: o.admin,
          ...(o.operations === undefined ? {} : { operationsUrl: `http://${o.operations}` }),
        })),
        ordererOrgs: [{ name: ORDERER_ORG, mspId: 'OrdererMSP' }],
        orgs: cas.map((ca, i) => ({
          name: ca.org,
          mspId: `Org${i + 1}MSP`,
          ca: { url: ca.url, caName: ca.caName, registrarSecret: `${ca.org}-ca-registrar`, tlsSecret: `${ca.org}-ca-tls` },
          peers: {
            statefulSet: `${ca.org}-peer`,
            service: `${ca.org}-peer`,
            endpoints: peerEndpoints[ca.org] ?? [],
            ...(podAddress[ca.org] === undefined ? {} : { podAddress: podAddress[ca.org] }),
          },
        })),
      },
    ],
    members: [
      { user: 'U0ALICE', network: NETWORK, org: 'org1', role: 'operator' },
      { user: 'U0BOB', network: NETWORK, org: 'org2', role: 'operator' },
      { user: 'U0ADMIN1', network: NETWORK, org: 'org1', role: 'admin' },
      { user: 'U0ADMIN1B', network: NETWORK, org: 'org1', role: 'admin' },
      { user: 'U0ADMIN2', network: NETWORK, org: 'org2', role: 'admin' },
      { user: 'U0ADMIN3', network: NETWORK, org: 'org3', role: 'admin' },
      { user: 'U0ORDADMIN', network: NETWORK, org: ORDERER_ORG, role: 'admin' },
      { user: 'U0VIEWER', network: NETWORK, org: 'org2', role: 'viewer' },
      { user: 'U0VIEWER1', network: NETWORK, org: 'org1', role: 'viewer' },
    ],
    jobs: { concurrency: 2, attempts: 3, backoffMs: 500 },
  });
}

export const ORDERER_TLS_SECRET = 'orderer-tls';

/** The orderer's TLS root in the Secret the bot's config names for it. */
export async function storeOrdererTlsRoot(kubeconfigPath: string, tlsRootCert: string): Promise<void> {
  await connectKube(kubeconfigPath).core.createNamespacedSecret({
    namespace: NAMESPACE,
    body: { metadata: { name: ORDERER_TLS_SECRET }, type: 'Opaque', stringData: { 'ca.crt': readFileSync(tlsRootCert, 'utf8') } },
  });
}

/** Each org's MSP admin (enrolled by the harness) in the Secret <org>-id-admin, as an operator would store it. */
export async function storeAdminIdentities(
  kubeconfigPath: string,
  admins: { org: string; mspId: string; mspDir: string; tls?: { cert: string; key: string; ca: string } }[],
): Promise<void> {
  const kube = connectKube(kubeconfigPath);
  for (const a of admins) {
    const keystore = path.join(a.mspDir, 'keystore');
    const cacerts = path.join(a.mspDir, 'cacerts');
    await saveIdentity(
      kube,
      NAMESPACE,
      { network: NETWORK, org: a.org, name: 'admin' },
      {
        mspId: a.mspId,
        certPem: readFileSync(path.join(a.mspDir, 'signcerts', 'cert.pem'), 'utf8'),
        keyPem: readFileSync(path.join(keystore, readdirSync(keystore)[0] as string), 'utf8'),
        caChainPem: readFileSync(path.join(cacerts, readdirSync(cacerts)[0] as string), 'utf8'),
        ...(a.tls === undefined
          ? {}
          : {
              tlsCertPem: readFileSync(a.tls.cert, 'utf8'),
              tlsKeyPem: readFileSync(a.tls.key, 'utf8'),
              tlsCaPem: readFileSync(a.tls.ca, 'utf8'),
            }),
      },
    );
  }
}
