import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { startEnvironment, type EnvDetails, type Environment } from '../infra/env/environment.js';
import { BOT_NAMESPACE, deployBot } from '../infra/env/real-node/in-cluster.js';
import { SlackEmulator, type StoredMessage } from '../slack/emulator.js';
import { apply, eventually, kubectl, type RealNode } from './support.js';
import { createObjects, orgCaManifests } from '../infra/env/real-node/peer-pods.js';
import { realNodePlacement } from '../infra/env/real-node/placement.js';
import { peerCli } from '../infra/env/peer-cli.js';

// The bot as a user deploys it: manifests/base (bot, worker, Redis; Pod Security "restricted";
// the NetworkPolicy) with overlays/demo's RBAC for the Fabric namespace, the bot's image built
// from the Dockerfile, on the real node; Slack is the emulator on this machine.
let env: Environment;
let details: EnvDetails;
let slack: SlackEmulator;
let events: string;
const SECRET = randomBytes(16).toString('hex');
const TOKEN = `xoxb-${randomBytes(8).toString('hex')}`;
/** The org whose CA runs as a pod from manifests/fabric-org/org1-ca.yaml (org3: no channel relies on its identities here). */
const POD_CA_ORG = 'org3';

/**
 * The environment's bot configuration, as it reads from inside the cluster: CAs on the node's
 * address, peers by their DNS names; chaincode images built here, their pods on the real node.
 */
function inClusterConfig(node: RealNode): string {
  type Org = { name: string; ca: { url: string; caName?: string }; peers: { podAddress?: string } };
  const config = parse(readFileSync(details.botConfig, 'utf8')) as { networks: { orgs: Org[] }[]; chaincode?: object };
  for (const org of config.networks.flatMap((n) => n.orgs)) {
    org.ca.url = org.ca.url.replace('127.0.0.1', node.address);
    delete org.peers.podAddress;
    // org3's CA is the pod a test below makes from manifests/fabric-org, found by its Service's name.
    if (org.name === POD_CA_ORG) {
      org.ca.url = `https://${POD_CA_ORG}-ca.${details.namespace}.svc:7054`;
      delete org.ca.caName;
    }
  }
  const chaincodeImage = node.images['chaincode-basic'] as string;
  config.chaincode = { allowedRegistries: [chaincodeImage.slice(0, chaincodeImage.indexOf('/'))], ...realNodePlacement(node) };
  return stringify(config);
}

beforeAll(async () => {
  env = await startEnvironment({ realNode: true, peerPods: true, nodeImages: ['redis', 'chaincode-basic', 'fabric-ca'] });
  details = env.details;
  const node = details.realNode;
  if (node === undefined) throw new Error('no real node');
  slack = await SlackEmulator.start({
    botToken: TOKEN,
    signingSecret: SECRET,
    channels: ['C0OPS', 'C0ALERTS'],
    users: ['U0ALICE', 'U0ADMIN1', 'U0ADMIN3'].map((id) => ({ id, name: id.toLowerCase() })),
    host: node.address,
  });
  env.admitPodsTo(Number(new URL(slack.url).port));
  const t0 = Date.now();
  await deployBot(details.kubeconfig, {
    images: { bot: node.images['fabric-chatops'] as string, redis: node.images.redis as string },
    slack: { apiUrl: slack.apiUrl, botToken: TOKEN, signingSecret: SECRET },
    redisPassword: randomBytes(16).toString('hex'),
    config: inClusterConfig(node),
    managedNamespace: details.namespace,
  });
  process.stdout.write(
    `environment up in ${(env.startedInMs / 1000).toFixed(1)} s; bot deployed and Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  const botIp = await kubectl(details, [
    'get',
    'pod',
    '-n',
    BOT_NAMESPACE,
    '-l',
    'app.kubernetes.io/name=fabric-chatops-bot',
    '-o',
    'jsonpath={.items[0].status.podIP}',
  ]);
  events = `http://${botIp}:3000/slack/events`;
}, 1_800_000);

afterAll(async () => {
  await slack?.stop();
  await env?.stop();
}, 180_000);

const command = async (user: string, text: string): Promise<StoredMessage> => {
  const before = slack.messages('C0OPS').filter((m) => m.ephemeral && m.user === user).length;
  const reply = await slack.sendSlashCommand(events, { text, userId: user, channelId: 'C0OPS' }, { secret: SECRET });
  expect(reply.status).toBe(200);
  return eventually(
    `the answer to ${text}`,
    async () => slack.messages('C0OPS').filter((m) => m.ephemeral && m.user === user)[before],
    20_000,
  );
};

/** Alice (org1's operator) asks; each admin in turn clicks Approve on the card (org1's by default). */
async function approvedCommand(text: string, admins = ['U0ADMIN1']): Promise<void> {
  const answer = await command('U0ALICE', text);
  const id = /request `([a-z0-9]+)`/.exec(answer.text ?? '')?.[1];
  if (id === undefined) throw new Error(`${text} was not taken as a request: ${answer.text}`);
  const card = await eventually('the approval card', async () =>
    slack.messages('C0OPS').find((m) => JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``)),
  );
  for (const userId of admins) {
    const click = { userId, channelId: card.channel, messageTs: card.ts, actionId: 'approval_approve', value: id };
    await slack.clickButton(events, click, { secret: SECRET });
  }
}

it('bot, worker and Redis run from manifests/base on the real node, as their non-root users', async () => {
  const pods = await kubectl(details, [
    'get',
    'pods',
    '-n',
    BOT_NAMESPACE,
    '-o',
    'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.phase}{"\\n"}{end}',
  ]);
  const lines = pods.trim().split('\n');
  expect(lines).toHaveLength(3);
  for (const line of lines) expect(line).toMatch(new RegExp(` ${details.realNode?.name} Running$`));
  const uid = await kubectl(details, ['exec', '-n', BOT_NAMESPACE, 'deploy/fabric-chatops-worker', '--', 'id', '-u']).catch(
    (e: Error) => e.message,
  );
  expect(uid).not.toMatch(/^0$/m);
});

it('the bot in its pod answers a slash command from Slack on this machine; its worker runs the job and posts the result', async () => {
  await command('U0ALICE', 'ping');
  // No worker runs but the pod's: the result is its.
  await eventually(
    'the ping job to post its result',
    async () => slack.messages('C0OPS').find((m) => !m.ephemeral && /Pong: queue latency \d+ ms/.test(JSON.stringify(m.blocks ?? []))),
    60_000,
  );
}, 90_000);

it('/fabric peers scale org1 1: the in-cluster worker enrolls at the CA, scales, joins the real peer pod by its DNS name', async () => {
  await approvedCommand('peers scale org1 1');
  const done = await eventually(
    'the job to end',
    async () => slack.messages('C0OPS').find((m) => !m.ephemeral && /peers scaled from|failed/.test(JSON.stringify(m.blocks ?? []))),
    240_000,
  );
  const said = JSON.stringify(done.blocks);
  expect(said).toContain('succeeded');
  expect(said).toContain('org1-peer-1: enrolled');
  expect(said).toContain('org1-peer-1: joined mychannel');
  expect(said).toContain('as its siblings');
}, 300_000);

it("/fabric chaincode deploy, approved by both orgs: a real chaincode pod serves TLS with its certificate from org1's CA, and the peers invoke it", async () => {
  const image = details.realNode?.images['chaincode-basic'] as string;
  await approvedCommand(`chaincode deploy greet 1.0 --image ${image}`, ['U0ADMIN1', 'U0ADMIN2']);
  const done = await eventually(
    'the deploy job to end',
    async () =>
      slack.messages('C0OPS').find((m) => {
        const text = JSON.stringify(m.blocks ?? []);
        return (
          !m.ephemeral && text.includes('chaincode deploy greet 1.0') && !text.includes('s approval') && /succeeded\*|failed\*/.test(text)
        );
      }),
    240_000,
  );
  const said = JSON.stringify(done.blocks);
  expect(said).toContain('committed on mychannel at sequence 1');
  expect(said).toContain("Issue the chaincode server's TLS certificate");
  expect(said).toMatch(/Wait until the chaincode server is Ready.*Ready after \d/);
  const pod = await kubectl(details, [
    'get',
    'pods',
    '-n',
    details.namespace,
    '-l',
    'fabric-chatops.io/chaincode=greet',
    '-o',
    'jsonpath={.items[0].metadata.name} {.items[0].spec.nodeName}',
  ]);
  const [podName = '', nodeName] = pod.trim().split(' ');
  expect(nodeName).toBe(details.realNode?.name);
  await kubectl(details, ['wait', '-n', details.namespace, '--for=condition=Ready', `pod/${podName}`, '--timeout=120s']);
  expect(await kubectl(details, ['logs', '-n', details.namespace, podName])).toContain('over TLS');
  // The host's peers dial the chaincode by its Service name (cluster DNS), and verify its certificate.
  const o = details.fabric.orderer;
  const peers = details.fabric.peers.flatMap((p) => ['--peerAddresses', p.address, '--tlsRootCertFiles', p.tlsRootCert]);
  const invoke = ['chaincode', 'invoke', '-o', o.address, '--tls', '--cafile', o.tlsRootCert, '-C', details.fabric.channel, '-n', 'greet'];
  // kube-proxy routes the Service's address a moment after its pod is Ready.
  const put = [...invoke, ...peers, '--waitForEvent', '-c', JSON.stringify({ Args: ['put', 'colour', 'teal'] })];
  await eventually('the invocation to be endorsed by both orgs', () => peerCli(details, 'org1', put).catch(() => undefined), 30_000);
  const query = ['chaincode', 'query', '-C', details.fabric.channel, '-n', 'greet', '-c', JSON.stringify({ Args: ['get', 'colour'] })];
  expect((await peerCli(details, 'org2', query)).trim()).toBe('teal');
}, 360_000);

/** A pod's uid, the peer container's id and readiness, as kubectl reports them. */
const peerPod = async (): Promise<{ uid: string; container: string; ready: string }> => {
  const out = await kubectl(details, [
    'get',
    'pod',
    '-n',
    details.namespace,
    'org1-peer-1',
    '-o',
    'jsonpath={.metadata.uid} {.status.containerStatuses[0].containerID} {.status.containerStatuses[0].ready}',
  ]);
  const [uid = '', container = '', ready = ''] = out.trim().split(' ');
  return { uid, container, ready };
};

it('/fabric pods restart org1-peer-1, once approved, makes the StatefulSet start a new container that becomes Ready', async () => {
  const before = await peerPod();
  expect(before.ready).toBe('true');
  await approvedCommand('pods restart org1-peer-1');
  const after = await eventually(
    'a new, Ready peer container',
    async () => {
      const now = await peerPod().catch(() => undefined);
      return now !== undefined && now.uid !== before.uid && now.ready === 'true' ? now : undefined;
    },
    120_000,
  );
  expect(after.container).not.toBe(before.container);
  expect(after.container).toMatch(/^containerd:\/\//);
  const log = await kubectl(details, ['logs', '-n', details.namespace, 'org1-peer-1', '-c', 'peer']);
  expect(log).toContain('Started peer with ID=[org1-peer-1]');
}, 180_000);

it('a peer whose identity Secret is gone crash-loops when restarted, and the in-cluster worker posts a CrashLoopBackOff alert', async () => {
  const earlier = slack.messages('C0ALERTS').length;
  await kubectl(details, ['delete', 'secret', '-n', details.namespace, 'org1-id-org1-peer-1']);
  await kubectl(details, ['delete', 'pod', '-n', details.namespace, 'org1-peer-1', '--wait=false']);
  const alert = await eventually(
    'the alert',
    async () =>
      slack
        .messages('C0ALERTS')
        .slice(earlier)
        .find((m) => !m.ephemeral && (m.text ?? '').includes('org1-peer-1 in') && (m.text ?? '').includes('CrashLoopBackOff')),
    180_000,
  );
  expect(JSON.stringify(alert.blocks)).toContain('init container identity keeps crashing');
  // A crash loop has at least two failed runs: the one before the latest is one of them.
  const init = await kubectl(details, ['logs', '-n', details.namespace, 'org1-peer-1', '-c', 'identity', '--previous']);
  expect(init).toContain('org1-id-org1-peer-1 did not appear within 20 s');
}, 240_000);

/** kubectl create secret generic, replacing one of that name. */
async function putSecret(name: string, files: Record<string, string>): Promise<void> {
  await kubectl(details, ['delete', 'secret', '-n', details.namespace, name, '--ignore-not-found']);
  await apply(details, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: details.namespace }, stringData: files });
}

it("manifests/fabric-org's CA, copied for org3, runs as a real pod; bootstrapped as the README says, the in-cluster worker enrolls an identity there", async () => {
  const ns = details.namespace;
  const password = randomBytes(12).toString('hex');
  await putSecret(`${POD_CA_ORG}-ca-bootstrap`, { user: 'admin', password });
  // The environment describes its CA processes as Deployments on fake nodes: org3's gives way to the real one.
  await kubectl(details, ['delete', 'deployment,service', '-n', ns, `${POD_CA_ORG}-ca`, '--wait']);
  await createObjects(
    details.kubeconfig,
    orgCaManifests({ namespace: ns, network: 'testnet', org: POD_CA_ORG, image: details.realNode?.images['fabric-ca'] as string }),
  );
  await kubectl(details, ['rollout', 'status', '-n', ns, `deploy/${POD_CA_ORG}-ca`, '--timeout=120s']);
  // The README's bootstrap: the CA's root, and its first registrar enrolled inside the pod.
  const inCa = (script: string) => kubectl(details, ['exec', '-n', ns, `deploy/${POD_CA_ORG}-ca`, '--', 'sh', '-c', script]);
  const home = '/etc/hyperledger/fabric-ca-server';
  const root = await inCa(`cat ${home}/ca-cert.pem`);
  await inCa(
    `fabric-ca-client enroll -u "https://admin:$BOOTSTRAP_PASSWORD@localhost:7054" --tls.certfiles ${home}/ca-cert.pem -H /tmp/registrar`,
  );
  const cert = await inCa('cat /tmp/registrar/msp/signcerts/cert.pem');
  const key = await inCa('cat /tmp/registrar/msp/keystore/*_sk && rm -rf /tmp/registrar');
  await putSecret(`${POD_CA_ORG}-ca-tls`, { 'ca.crt': root });
  await putSecret(`${POD_CA_ORG}-ca-registrar`, { 'cert.pem': cert, 'key.pem': key });

  await command('U0ADMIN3', `cert enroll ${POD_CA_ORG} clerk`);
  const done = await eventually(
    'the enrollment to end',
    async () =>
      slack.messages('C0OPS').find((m) => {
        const text = JSON.stringify(m.blocks ?? []);
        return !m.ephemeral && text.includes(`cert enroll ${POD_CA_ORG} clerk`) && /succeeded\*|failed\*/.test(text);
      }),
    120_000,
  );
  expect(JSON.stringify(done.blocks)).toContain(`clerk enrolled in ${POD_CA_ORG} as client`);
  // The certificate in the identity's Secret was issued by the CA in the pod.
  const stored = JSON.parse(
    await kubectl(details, ['get', 'secret', '-n', ns, `${POD_CA_ORG}-id-clerk`, '-o', 'jsonpath={.data}']),
  ) as Record<string, string>;
  const issued = new X509Certificate(Buffer.from(stored['cert.pem'] ?? '', 'base64'));
  expect(issued.subject).toContain('CN=clerk');
  expect(issued.verify(new X509Certificate(root).publicKey)).toBe(true);
  // And the CA's own log says so.
  expect(await kubectl(details, ['logs', '-n', ns, `deploy/${POD_CA_ORG}-ca`])).toMatch(/Listening on https:\/\/0\.0\.0\.0:7054/);
}, 240_000);
