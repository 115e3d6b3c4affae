import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { connectKube } from '../../src/k8s/client.js';
import { accepts } from '../infra/env/environment.js';
import { binary } from '../infra/env/binaries.js';
import { freePort } from '../infra/env/net.js';
import { ManagedProcess } from '../infra/env/proc.js';
import { Pki } from '../infra/env/pki.js';
import { LABELS } from '../../src/k8s/labels.js';
import type { StoredMessage } from '../slack/emulator.js';
import { eventually, type AppProcess } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';
import { ledgerHeight, peerCli, testEnvironment } from './support.js';

const run = promisify(execFile);
const env = testEnvironment();
const kube = connectKube(env.kubeconfig);
const SECRET = 'alerts-signing-secret';
const TOKEN = 'xoxb-alerts-token';
const ALERTS = 'C0ALERTS';

let stack: Stack;

const ephemerals = (user: string): StoredMessage[] => stack.ephemeralFor(user);

/** Sends the slash command as `user` in C0OPS and returns the answer it gets. */
async function command(user: string, text: string): Promise<StoredMessage> {
  const res = await stack.command(text, { user });
  expect(res.status).toBe(200);
  expect(res.ms).toBeLessThan(3000);
  return res.answer(20_000);
}

const commandText = async (user: string, text: string): Promise<string> => (await command(user, text)).text ?? '';
/** The answer's text and blocks, as one string to search. */
const commandReads = async (user: string, text: string): Promise<string> => {
  const m = await command(user, text);
  return `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;
};

const alertsFor = (pod: string): StoredMessage[] =>
  stack.slack.messages(ALERTS).filter((m) => !m.ephemeral && (m.text ?? '').includes(`${pod} in`));
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

async function org1CaPod(): Promise<V1Pod> {
  const list = await kube.core.listNamespacedPod({ namespace: env.namespace, labelSelector: `${LABELS.component}=ca,${LABELS.org}=org1` });
  const pod = list.items.find((p) => p.metadata?.deletionTimestamp === undefined && p.status?.phase === 'Running');
  if (pod === undefined) throw new Error('no running org1 CA pod');
  return pod;
}

async function setCrashing(name: string, crashing: boolean): Promise<void> {
  const now = new Date();
  await kube.core.patchNamespacedPodStatus(
    {
      name,
      namespace: env.namespace,
      body: {
        status: {
          conditions: [{ type: 'Ready', status: crashing ? 'False' : 'True', lastTransitionTime: now }],
          containerStatuses: [
            {
              name: 'ca',
              image: 'hyperledger/fabric-ca:2.5',
              imageID: '',
              ready: !crashing,
              restartCount: 4,
              state: crashing
                ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } }
                : { running: { startedAt: now } },
            },
          ],
        },
      },
    },
    strategic,
  );
}

beforeAll(async () => {
  stack = await startStack({
    secret: SECRET,
    token: TOKEN,
    channels: ['C0OPS', ALERTS],
    users: ['U0ALICE', 'U0BOB', 'U0ADMIN1', 'U0ADMIN2', 'U0VIEWER', 'U0VIEWER1'],
    config: env.botConfig,
    // A short lock, so a worker killed mid-job is replaced within seconds.
    env: { WORKER_LOCK_MS: '5000', KUBECONFIG: env.kubeconfig, ALERT_RECHECK_MS: '1000' },
    // Two workers watch the same namespace; the bot serves the buttons.
    bot: 'bot',
    workers: 2,
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('pod alerts from two watching workers', () => {
  let pod: string;

  it('posts exactly one alert for a pod in CrashLoopBackOff, with its logs and buttons', async () => {
    pod = (await org1CaPod()).metadata?.name as string;
    await setCrashing(pod, true);
    const alert = await eventually('the alert', () => alertsFor(pod)[0], 20_000);
    expect(alert.text).toContain('CrashLoopBackOff');
    const reads = JSON.stringify(alert.blocks);
    expect(reads).toContain('keeps crashing');
    expect(reads).toContain('alert_show_logs');
    expect(reads).toContain('alert_restart_pod');
    // Both workers saw it, and the 1 s recheck has run a few times: still one message.
    await new Promise((r) => setTimeout(r, 4000));
    expect(alertsFor(pod)).toHaveLength(1);
  });

  it('posts exactly one recovery when the pod is Ready again', async () => {
    await setCrashing(pod, false);
    await eventually('the recovery', () => alertsFor(pod).find((m) => (m.text ?? '').includes('recovered')), 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(alertsFor(pod).filter((m) => (m.text ?? '').includes('recovered'))).toHaveLength(1);
    expect(alertsFor(pod)).toHaveLength(2);
  });

  it('shows logs to a viewer of the pod’s org (not of another org), and restarts the pod only after an admin approves', async () => {
    const alert = alertsFor(pod)[0] as StoredMessage;
    const press = async (user: string, actionId: string): Promise<StoredMessage> => {
      const before = ephemerals(user).length;
      await stack.click(alert, actionId, { user });
      return eventually(`the answer to ${user}`, () => (ephemerals(user).length > before ? ephemerals(user).at(-1) : undefined));
    };
    expect(JSON.stringify((await press('U0VIEWER1', 'alert_show_logs')).blocks)).toContain(`Last lines of`);
    // org1's CA pod is org1's: an org2 viewer sees neither its logs nor may restart it.
    expect((await press('U0VIEWER', 'alert_show_logs')).text).toContain("only org1's members may ask for it");
    expect((await press('U0VIEWER1', 'alert_restart_pod')).text).toContain('needs the operator role');

    const uid = (await org1CaPod()).metadata?.uid;
    await stack.click(alert, 'alert_restart_pod', { user: 'U0ALICE' });
    const card = await eventually('the approval card', () =>
      stack.slack
        .messages(ALERTS)
        .find((m) => JSON.stringify(m.blocks ?? []).includes('Approval needed') && JSON.stringify(m.blocks).includes(pod)),
    );
    expect((await org1CaPod()).metadata?.uid).toBe(uid);
    const id = /Request `([a-z0-9]+)`/.exec(JSON.stringify(card.blocks))?.[1] as string;
    await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: id });
    await eventually(
      'a new org1 CA pod',
      async () => {
        const now = await org1CaPod().catch(() => undefined);
        return now !== undefined && now.metadata?.uid !== uid;
      },
      30_000,
    );
    expect(stack.slack.problems).toEqual([]);
  });
});

describe('Kubernetes commands from Slack on the real cluster', () => {
  it('shows the logs of Fabric pods only', async () => {
    const name = `not-fabric-${Date.now()}`;
    await kube.core.createNamespacedPod({
      namespace: env.namespace,
      body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'example/app:1' }] } },
    });
    try {
      expect(await commandText('U0VIEWER1', `pods logs ${name}`)).toContain(`no Fabric pod ${name} in ${env.namespace}`);
      expect(await commandText('U0ALICE', `pods restart ${name}`)).toContain(`no Fabric pod ${name}`);
      expect((await kube.core.readNamespacedPod({ name, namespace: env.namespace })).metadata?.deletionTimestamp).toBeUndefined();
    } finally {
      await kube.core.deleteNamespacedPod({ name, namespace: env.namespace, gracePeriodSeconds: 0 });
    }
  });

  it('/fabric status and /fabric metrics show the network’s pods', async () => {
    const status = JSON.stringify((await command('U0VIEWER', 'status')).blocks);
    expect(status).toContain('Fabric pods in `fabric-test`');
    expect(status).toContain('org1-peer-0');
    const metrics = await eventually(
      'metrics for the pods',
      async () => {
        const m = JSON.stringify((await command('U0VIEWER', 'metrics --org org1')).blocks);
        return /cpu +\d+m mem +\d+Mi/.test(m) ? m : undefined;
      },
      60_000,
    );
    expect(metrics).toContain('org1-peer-0');
  });

  it('/fabric peers scale goes through approval, then scales the StatefulSet and reports each step', async () => {
    const sts = async (): Promise<number | undefined> =>
      (await kube.apps.readNamespacedStatefulSet({ name: 'org1-peer', namespace: env.namespace })).spec?.replicas;
    const before = (await sts()) as number;
    const answer = await command('U0ALICE', `peers scale org1 ${before + 1}`);
    const id = /request `([a-z0-9]+)`/.exec(answer.text ?? '')?.[1] as string;
    expect(id).toBeDefined();
    expect(await sts()).toBe(before);
    const card = await eventually('the card', () =>
      stack.slack.messages('C0OPS').find((m) => JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``)),
    );
    await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: id });
    const done = await eventually(
      'the job to succeed',
      () =>
        stack.slack
          .messages('C0OPS')
          .find(
            (m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes('scaled from') && JSON.stringify(m.blocks).includes('succeeded'),
          ),
      90_000,
    );
    expect(JSON.stringify(done.blocks)).toContain(`${before} → ${before + 1}`);
    expect(JSON.stringify(done.blocks)).toContain(`org1-peer-${before}: enrolled`);
    expect(JSON.stringify(done.blocks)).toContain(`org1-peer-${before}: joined mychannel`);
    expect(JSON.stringify(done.blocks)).toContain('as its siblings');
    expect((await kube.apps.readNamespacedStatefulSet({ name: 'org1-peer', namespace: env.namespace })).status?.readyReplicas).toBe(
      before + 1,
    );
  }, 120_000);

  it('the new pod is a real peer with the identity the bot enrolled, joined by the bot and in step with peer0', async () => {
    const replicas = (await kube.apps.readNamespacedStatefulSet({ name: 'org1-peer', namespace: env.namespace })).spec?.replicas as number;
    const pod = `org1-peer-${replicas - 1}`;
    const info = await eventually(
      'the peer runner to start the new peer',
      () => {
        const file = path.join(env.runnerDir, `${pod}.json`);
        return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { address: string }) : undefined;
      },
      60_000,
    );
    const heights = await eventually(
      'the new peer to catch up with peer0',
      async () => {
        const [mine, reference] = await Promise.all([ledgerHeight('org1', info.address).catch(() => -1), ledgerHeight('org1')]);
        return mine === reference ? [mine, reference] : undefined;
      },
      60_000,
    );
    expect(heights[0]).toBeGreaterThanOrEqual(1);
    expect(await peerCli('org1', ['channel', 'list'], info.address)).toContain(env.fabric.channel);
    // /fabric status asks every peer pod for its height, the new one included.
    // Other suites may add blocks meanwhile, so heights are compared with the default tolerance.
    const status = JSON.stringify((await command('U0VIEWER', 'status')).blocks);
    expect(status).toContain('*Ledger heights*');
    for (const peer of ['org1-peer-0', 'org2-peer-0', pod]) {
      const shown = Number(new RegExp(`:white_check_mark: \`${peer}\` (\\d+)`).exec(status)?.[1]);
      expect(shown).toBeGreaterThanOrEqual(heights[0] as number);
    }
    // And each orderer's place on the channel, as its participation API says (orderer2 is left
    // out: another suite pauses it for a moment).
    expect(status).toContain('*Ordering service*');
    for (const orderer of ['orderer0', 'orderer1'])
      expect(status).toMatch(new RegExp(`:white_check_mark: \`${orderer}\` consenter, active, height \\d+`));
    // And which one leads the channel's Raft cluster, from the orderers' metrics (an election may
    // be under way while another suite pauses one).
    const withLeader = await eventually(
      'a Raft leader on /fabric status',
      async () => {
        const shown = JSON.stringify((await command('U0VIEWER', 'status')).blocks);
        return /`orderer\d` consenter, active, height \d+, \*Raft leader\*/.test(shown) ? shown : undefined;
      },
      30_000,
    );
    expect(withLeader.match(/\*Raft leader\*/g)?.length).toBeGreaterThanOrEqual(1);
  }, 120_000);
});

describe('certificates from Slack, through the org’s Fabric CA', () => {
  const statusFor = (jobId: string): StoredMessage | undefined =>
    stack.slack.messages('C0OPS').find((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`Job \`${jobId}\``));
  const finished = (jobId: string): Promise<string> =>
    eventually(
      `job ${jobId} to finish`,
      () => {
        const m = statusFor(jobId);
        const text = JSON.stringify(m?.blocks ?? []);
        return /succeeded|failed/.test(text) ? text : undefined;
      },
      60_000,
    );
  const name = `app-${Date.now()}`;

  it('enrolls an identity into a Secret; enrolling it again changes nothing', async () => {
    const jobId = /`([a-z0-9]+)`/.exec(await commandText('U0ALICE', `cert enroll org1 ${name}`))?.[1] as string;
    const done = await finished(jobId);
    expect(done).toContain('succeeded');
    expect(done).toContain(`org1-id-${name}`);
    const secret = await kube.core.readNamespacedSecret({ name: `org1-id-${name}`, namespace: env.namespace });
    expect(Buffer.from(secret.data?.['key.pem'] ?? '', 'base64').toString()).toContain('PRIVATE KEY');
    const again = /`([a-z0-9]+)`/.exec(await commandText('U0ALICE', `cert enroll org1 ${name}`))?.[1] as string;
    expect(await finished(again)).toContain('already enrolled');
    expect(JSON.stringify(await kube.core.readNamespacedSecret({ name: `org1-id-${name}`, namespace: env.namespace }))).toContain(
      secret.metadata?.resourceVersion as string,
    );
    const list = await commandText('U0VIEWER', 'cert list');
    expect(list).toContain('identities in testnet');
  });

  it('renews it (new key and serial in the same Secret) and lists it among the expiring', async () => {
    const serialOf = async (): Promise<string> => {
      const s = await kube.core.readNamespacedSecret({ name: `org1-id-${name}`, namespace: env.namespace });
      const { X509Certificate } = await import('node:crypto');
      return new X509Certificate(Buffer.from(s.data?.['cert.pem'] ?? '', 'base64').toString()).serialNumber;
    };
    const before = await serialOf();
    const jobId = /`([a-z0-9]+)`/.exec(await commandText('U0ALICE', `cert renew org1 ${name}`))?.[1] as string;
    expect(await finished(jobId)).toContain('succeeded');
    expect(await serialOf()).not.toBe(before);
    expect(await commandText('U0VIEWER', 'cert expiring --days 400')).toMatch(/certificates expire within 400 days/);
  });

  it('revokes it after an admin approves, naming the serial revoked', async () => {
    const answer = await commandText('U0ALICE', `cert revoke org1 ${name} --reason keycompromise`);
    const id = /request `([a-z0-9]+)`/.exec(answer)?.[1] as string;
    const card = await eventually('the card', () =>
      stack.slack.messages('C0OPS').find((m) => JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``)),
    );
    await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: id });
    const done = await eventually(
      'the revoke job',
      () => {
        const m = stack.slack.messages('C0OPS').find((x) => !x.ephemeral && JSON.stringify(x.blocks ?? []).includes(`revoked in org1`));
        return m === undefined ? undefined : JSON.stringify(m.blocks);
      },
      60_000,
    );
    const secret = await kube.core.readNamespacedSecret({ name: `org1-id-${name}`, namespace: env.namespace });
    const { X509Certificate } = await import('node:crypto');
    const serial = new X509Certificate(Buffer.from(secret.data?.['cert.pem'] ?? '', 'base64').toString()).serialNumber
      .toLowerCase()
      .replace(/^0+/, '');
    expect(done).toContain(serial);
  });

  it('registers without enrolling: attributes at the CA, the enrollment secret only in a Secret that enrolls', async () => {
    const device = `device-${Date.now()}`;
    const jobId = /`([a-z0-9]+)`/.exec(
      await commandText('U0BOB', `cert register org2 ${device} --attrs role=sensor:ecert,site=lab --max-enrollments 2`),
    )?.[1] as string;
    const done = await finished(jobId);
    expect(done).toContain('succeeded');
    expect(done).toContain(`org2-enroll-${device}`);
    const data = Object.fromEntries(
      Object.entries((await kube.core.readNamespacedSecret({ name: `org2-enroll-${device}`, namespace: env.namespace })).data ?? {}).map(
        ([k, v]) => [k, Buffer.from(v, 'base64').toString()],
      ),
    );
    const shown = await commandReads('U0VIEWER', `cert show org2 ${device}`);
    expect(shown).toContain('Registered* as client');
    expect(shown).toContain('max enrollments 2');
    expect(shown).toContain('`role=sensor` (in cert)');
    expect(shown).toContain('`site=lab`');
    expect(shown).toContain(`Not enrolled yet; its enrollment secret is in Secret \`org2-enroll-${device}\``);
    // The secret in the Secret is the one the CA takes.
    const ca = env.cas.find((c) => c.org === 'org2');
    const home = mkdtempSync(path.join(os.tmpdir(), 'fco-register-'));
    try {
      const url = new URL(ca?.url ?? '');
      url.username = device;
      url.password = data['enrollment-secret'] ?? '';
      await run(binary('fabric-ca-client'), [
        'enroll',
        '-u',
        url.toString().replace(/\/$/, ''),
        '--caname',
        ca?.caName ?? '',
        '--tls.certfiles',
        ca?.tlsCert ?? '',
        '-H',
        home,
      ]);
      expect(readFileSync(path.join(home, 'msp', 'signcerts', 'cert.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    for (const text of [done, shown, JSON.stringify(stack.slack.messages())]) expect(text).not.toContain(data['enrollment-secret']);
    const again = /`([a-z0-9]+)`/.exec(await commandText('U0BOB', `cert register org2 ${device}`))?.[1] as string;
    expect(await finished(again)).toContain('already registered');
  });

  it('shows an enrolled identity’s certificate, and says when the CA knows no such name', async () => {
    const shown = await commandReads('U0VIEWER1', `cert show org1 ${name}`);
    expect(shown).toContain(`Certificate* in Secret \`org1-id-${name}\``);
    expect(shown).toMatch(/Serial: `[0-9a-f]+`/);
    expect(await commandReads('U0VIEWER1', 'cert show org1 nobody-here')).toContain(
      'the CA has no such identity and nothing is stored for it',
    );
    expect(await commandReads('U0VIEWER1', 'cert register org1 x')).toContain('needs the operator role');
    expect(await commandReads('U0VIEWER', `cert show org1 ${name}`)).toContain("only org1's members may ask for it");
    expect(await commandReads('U0ALICE', 'cert register org1 x --attrs nonsense')).toContain('name=value pairs');
  });

  it('never puts a key or an enrollment secret in Slack, job data or logs', async () => {
    const everything = [
      JSON.stringify(stack.slack.messages()),
      JSON.stringify(stack.slack.calls),
      ...stack.processes.map((a) => a.output()),
    ].join('\n');
    expect(everything).not.toMatch(/PRIVATE KEY/);
    const jobKeys = (await stack.redis.client.keys('fco:ops-testnet:*')).filter((k) => /^fco:ops-testnet:[a-z0-9]{12}$/.test(k));
    for (const k of jobKeys) expect(JSON.stringify(await stack.redis.client.hgetall(k))).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    expect(jobKeys.length).toBeGreaterThan(0);
  });
});

describe('chaincode deploy from Slack, approved by both orgs’ admins', () => {
  let server: ManagedProcess | undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'fco-deploy-'));
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** The deploy job's status message (not the per-org approval jobs' ones). */
  const deployStatus = (version: string): StoredMessage | undefined =>
    stack.slack.messages('C0OPS').find((x) => {
      const text = JSON.stringify(x.blocks ?? []);
      return (
        !x.ephemeral &&
        text.includes(`chaincode deploy greet ${version} `) &&
        text.includes('Job `') &&
        !text.includes('s approval') &&
        !text.includes('Approval needed')
      );
    });

  let lastCard: StoredMessage | undefined;
  const queryHello = ['chaincode', 'query', '-C', env.fabric.channel, '-n', 'greet', '-c', JSON.stringify({ Args: ['get', 'hello'] })];

  /** Requests the deploy, has both admins approve, and returns the finished status message. */
  async function deploy(version: string, address: string, whileRunning?: (jobId: string) => Promise<void>, flags = ''): Promise<string> {
    const before = ephemerals('U0ALICE').length;
    await stack.command(`chaincode deploy greet ${version} --address ${address}${flags}`);
    const answer =
      (await eventually('the answer', () => (ephemerals('U0ALICE').length > before ? ephemerals('U0ALICE').at(-1) : undefined))).text ?? '';
    const id = /request `([a-z0-9]+)`/.exec(answer)?.[1] as string;
    const card = await eventually('the card', () =>
      stack.slack.messages('C0OPS').find((m) => JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``)),
    );
    lastCard = card;
    await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: id });
    // org1's click ran org1's approveformyorg at once: the card shows Fabric's readiness.
    const readiness = await eventually(
      'Fabric readiness on the card',
      () => {
        const text = JSON.stringify(stack.slack.messages('C0OPS').find((m) => m.ts === card.ts)?.blocks ?? []);
        return text.includes('Fabric commit readiness') ? text : undefined;
      },
      30_000,
    );
    expect(readiness).toContain('Org1MSP :white_check_mark: approved');
    expect(readiness).toContain('Org2MSP :white_circle: not yet');
    expect(deployStatus(version)).toBeUndefined();
    await stack.click(card, 'approval_approve', { user: 'U0ADMIN2', value: id });
    if (whileRunning !== undefined) {
      const jobId = await eventually(
        'the deploy job to start',
        () => /Job `([a-z0-9]+)`/.exec(JSON.stringify(deployStatus(version)?.blocks ?? []))?.[1],
        30_000,
      );
      await whileRunning(jobId);
    }
    return eventually(
      'the deploy job to finish',
      () => {
        const text = JSON.stringify(deployStatus(version)?.blocks ?? []);
        return /— :white_check_mark: succeeded\*|— :x: failed\*/.test(text) ? text : undefined;
      },
      120_000,
    );
  }

  it('deploys across both orgs, each step in the status message, and the chaincode answers', async () => {
    const port = await freePort();
    const done = await deploy('1.0', `127.0.0.1:${port}`);
    expect(done).toContain('succeeded');
    for (const step of [
      'Install the package on every peer',
      'Approve for org1',
      'Approve for org2',
      'Commit the definition',
      'committed on mychannel at sequence 1',
    ])
      expect(done).toContain(step);
    // The card ends showing the votes, Fabric's readiness and each step of the job.
    const card = await eventually('the card to show the steps', () => {
      const text = JSON.stringify(stack.slack.messages('C0OPS').find((m) => m.ts === lastCard?.ts)?.blocks ?? []);
      return text.includes('Commit the definition') ? text : undefined;
    });
    for (const part of [
      'Org1MSP :white_check_mark: approved',
      'Org2MSP :white_check_mark: approved',
      'Install the package on every peer',
      ':white_check_mark: succeeded',
    ])
      expect(card).toContain(part);
    const packageId = /(greet_1\.0:[0-9a-f]{64})/.exec(done)?.[1] as string;
    expect(done).toContain("Issue the chaincode server's TLS certificate");
    // The server's TLS files, as its pod would mount them from the Secret the bot wrote.
    const tls = await kube.core.readNamespacedSecret({ name: 'org1-tls-cc-greet-org1', namespace: env.namespace });
    const files = Object.fromEntries(
      ['tls.crt', 'tls.key'].map((key) => {
        const file = path.join(work, key);
        writeFileSync(file, Buffer.from(tls.data?.[key] ?? '', 'base64'), { mode: 0o600 });
        return [key, file];
      }),
    );
    const serve = (name: string, cert: string, key: string): ManagedProcess =>
      ManagedProcess.start(name, process.execPath, [path.resolve('test/fixtures/chaincode/basic/server.js')], {
        logDir: work,
        env: { CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`, CHAINCODE_ID: packageId, CHAINCODE_TLS_CERT: cert, CHAINCODE_TLS_KEY: key },
      });
    // A server whose certificate the org's CA did not issue is refused by the peers (before TLS: answered).
    const pki = new Pki(path.join(work, 'impostor'));
    const impostor = pki.issue(pki.ca('ca', 'impostor CA'), 'server', { cn: 'greet', hosts: ['127.0.0.1'], usage: 'server' });
    server = serve('chaincode-impostor', impostor.cert, impostor.key);
    await server.waitUntil('the impostor server to listen', () => accepts(port));
    const refused = await peerCli('org2', queryHello).then(
      (out) => `answered: ${out}`,
      (err: Error) => err.message,
    );
    // The peer dials, fails the handshake and says only that the connection timed out; the same
    // server with the certificate the bot issued answers below.
    expect(refused).toContain('could not launch chaincode greet_1.0');
    expect(refused).toContain('127.0.0.1');
    await server.stop();
    server = serve('chaincode-greet', files['tls.crt'] as string, files['tls.key'] as string);
    await server.waitUntil('the chaincode server to listen', () => accepts(port));
    const o = env.fabric.orderer;
    const peers = env.fabric.peers.flatMap((p) => ['--peerAddresses', p.address, '--tlsRootCertFiles', p.tlsRootCert]);
    await peerCli('org1', [
      'chaincode',
      'invoke',
      '-o',
      o.address,
      '--tls',
      '--cafile',
      o.tlsRootCert,
      '-C',
      env.fabric.channel,
      '-n',
      'greet',
      ...peers,
      '--waitForEvent',
      '-c',
      JSON.stringify({ Args: ['put', 'hello', 'from slack'] }),
    ]);
    expect((await peerCli('org2', queryHello)).trim()).toBe('from slack');
  }, 180_000);

  it('upgrades to sequence 2 with a new version', async () => {
    const done = await deploy('1.1', `127.0.0.1:${await freePort()}`);
    expect(done).toContain('committed on mychannel at sequence 2');
    expect(await peerCli('org1', ['lifecycle', 'chaincode', 'querycommitted', '-C', env.fabric.channel, '--name', 'greet'])).toContain(
      'Version: 1.1, Sequence: 2',
    );
  }, 180_000);

  it('a worker killed mid-deploy: another finishes it, with no step failing on work already done', async () => {
    const killed: string[] = [];
    const done = await deploy('1.2', `127.0.0.1:${await freePort()}`, async (jobId) => {
      // The job takes about a second: freeze its worker the moment it starts, then kill it.
      const deadline = Date.now() + 20_000;
      let worker: AppProcess | undefined;
      while (worker === undefined && Date.now() < deadline) {
        worker = stack.workers.find(
          (a) => a.child.exitCode === null && a.output().includes(`"jobId":"${jobId}"`) && a.output().includes('"msg":"job started"'),
        );
        if (worker === undefined) await new Promise((r) => setTimeout(r, 10));
      }
      if (worker === undefined) throw new Error('no worker started the job');
      // Killed outright, and a fresh one started in its place, as a Deployment would.
      await stack.replaceWorker(worker);
      killed.push(jobId);
    });
    expect(killed).toHaveLength(1);
    expect(done).toContain('succeeded');
    expect(done).toContain('attempt 2');
    expect(done).toContain('committed on mychannel at sequence 3');
    expect(await peerCli('org2', ['lifecycle', 'chaincode', 'querycommitted', '-C', env.fabric.channel, '--name', 'greet'])).toContain(
      'Version: 1.2, Sequence: 3',
    );
  }, 180_000);

  it('deploys with an endorsement policy and private data collections from a ConfigMap, and refuses a policy it cannot read', async () => {
    const collections = [
      {
        name: 'private',
        policy: "OR('Org1MSP.member','Org2MSP.member')",
        requiredPeerCount: 0,
        maxPeerCount: 1,
        blockToLive: 10,
        memberOnlyRead: true,
      },
    ];
    await kube.core.createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'greet-collections' }, data: { 'collections.json': JSON.stringify(collections) } },
    });
    const done = await deploy(
      '2.0',
      `127.0.0.1:${await freePort()}`,
      undefined,
      ` --policy "AND('Org1MSP.peer','Org2MSP.peer')" --collections greet-collections`,
    );
    expect(done).toContain('committed on mychannel at sequence 4');
    expect(done).toContain("AND('Org1MSP.peer','Org2MSP.peer')");
    const committed = await peerCli('org1', [
      'lifecycle',
      'chaincode',
      'querycommitted',
      '-C',
      env.fabric.channel,
      '--name',
      'greet',
      '--output',
      'json',
    ]);
    expect(committed).toContain('"private"');
    const refusal = await commandText('U0ALICE', `chaincode deploy greet 2.1 --policy "AND('Org1MSP.peer',"`);
    expect(refusal).toContain('--policy: the policy ends too early');
  }, 180_000);
});

describe('after everything above: no secret anywhere the bot writes', () => {
  it('finds no private key, enrollment secret, registrar password or Slack credential in logs, Slack or Redis', async () => {
    // Every secret this run made or used, read from where they legitimately live.
    const secrets = new Set<string>([TOKEN, SECRET]);
    for (const s of (await kube.core.listNamespacedSecret({ namespace: env.namespace })).items) {
      for (const [key, value] of Object.entries(s.data ?? {})) {
        const text = Buffer.from(value, 'base64').toString();
        if (/key/.test(key) || key === 'enrollment-secret') secrets.add(text.trim());
      }
    }
    for (const ca of env.cas) {
      const config = readFileSync(path.join(path.dirname(ca.tlsCert), 'fabric-ca-server-config.yaml'), 'utf8');
      for (const m of config.matchAll(/^\s*pass:\s*"?([^"\s]+)"?\s*$/gm)) secrets.add(m[1] as string);
    }
    const pems = [...secrets].filter((s) => s.includes('PRIVATE KEY'));
    expect(pems.length).toBeGreaterThan(3);
    expect([...secrets].some((s) => /^[0-9a-f]{32}$/.test(s))).toBe(true); // an enrollment secret from cert register
    // Everything the bot wrote: logs, every Slack call and message, every Redis value.
    const redisDump: string[] = [];
    for (const key of await stack.redis.client.keys('*')) {
      const type = await stack.redis.client.type(key);
      if (type === 'string') redisDump.push(String(await stack.redis.client.get(key)));
      else if (type === 'hash') redisDump.push(JSON.stringify(await stack.redis.client.hgetall(key)));
      else if (type === 'list') redisDump.push(JSON.stringify(await stack.redis.client.lrange(key, 0, -1)));
      else if (type === 'zset') redisDump.push(JSON.stringify(await stack.redis.client.zrange(key, '0', '-1')));
      else if (type === 'set') redisDump.push(JSON.stringify(await stack.redis.client.smembers(key)));
      else if (type === 'stream') redisDump.push(JSON.stringify(await stack.redis.client.xrange(key, '-', '+')));
    }
    const haystacks: Record<string, string> = {
      logs: stack.processes.map((a) => a.output()).join('\n'),
      slack: JSON.stringify(stack.slack.messages()) + JSON.stringify(stack.slack.calls),
      redis: redisDump.join('\n'),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      expect({ where, length: text.length > 2000 }).toEqual({ where, length: true }); // something to search
      for (const secret of secrets) {
        // A PEM is looked for by its base64 body lines, which is what a leak would carry.
        const needles = secret.includes('PRIVATE KEY')
          ? secret.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'))
          : [secret];
        for (const needle of needles) if (text.includes(needle)) throw new Error(`a secret (${needle.slice(0, 6)}…) is in the ${where}`);
      }
      expect(text).not.toMatch(/PRIVATE KEY/);
    }
  });
});
