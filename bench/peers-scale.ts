import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { binary } from '../test/infra/env/binaries.js';
import { startEnvironment, type EnvDetails } from '../test/infra/env/environment.js';
import { ledgerHeight, peerCliEnv } from '../test/infra/env/peer-cli.js';
import { startStack, type Stack } from '../test/support/stack.js';
import { median, until, type BenchOptions, type BenchResult } from './lib.js';

const run = promisify(execFile);
const seconds = (v: number): string => `${(v / 1000).toFixed(1)} s`;

/** /fabric peers scale org1 N, approved: from the approval to the job's success message. */
async function byBot(stack: Stack, replicas: number): Promise<number> {
  const answer = await (await stack.command(`peers scale org1 ${replicas}`, { user: 'U0ALICE' })).answer(20_000);
  const id = /request `([a-z0-9]+)`/.exec(answer.text ?? '')?.[1];
  if (id === undefined) throw new Error(`no request: ${answer.text}`);
  const card = await until('the card', async () =>
    stack.slack.messages('C0OPS').find((m) => JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``)),
  );
  const t0 = performance.now();
  await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: id });
  const done = await until('the job', async () =>
    stack.slack.messages('C0OPS').find((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes(`to ${replicas}, all Ready`)),
  );
  const took = performance.now() - t0;
  if (!JSON.stringify(done.blocks).includes('as its siblings')) throw new Error('the job did not wait for the new peer to catch up');
  return took;
}

/**
 * The same peer added by hand with the CLIs an operator has: fabric-ca-client (register, enroll
 * the signing and TLS certificates), kubectl (the Secret, scale, wait), peer (fetch block 0, join
 * the pod, compare heights until caught up). No chaincode is installed in this network, so no install.
 */
async function byHand(env: EnvDetails, replicas: number): Promise<number> {
  const pod = `org1-peer-${replicas}`;
  const ca = env.cas.find((c) => c.org === 'org1');
  const org1 = env.fabric.peers.find((p) => p.org === 'org1');
  if (ca === undefined || org1 === undefined) throw new Error('no org1');
  const peerEnv = (address: string, serverName?: string) =>
    peerCliEnv(env, 'org1', { address, ...(serverName === undefined ? {} : { serverName }) });
  const height = (address: string, serverName?: string) =>
    ledgerHeight(env, 'org1', { address, ...(serverName === undefined ? {} : { serverName }) });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fco-bench-hand-'));
  const caArgs = ['--tls.certfiles', ca.tlsCert, '--caname', ca.caName];
  const kubectl = (args: string[]) => run(binary('kubectl'), [`--kubeconfig=${env.kubeconfig}`, '-n', env.namespace, ...args]);
  const dns = `${pod}.org1-peer.${env.namespace}.svc`;
  try {
    const t0 = performance.now();
    const enrollUrl = `https://${pod}:by-hand@${new URL(ca.url).host}`;
    await run(binary('fabric-ca-client'), [
      'register',
      '--id.name',
      pod,
      '--id.secret',
      'by-hand',
      '--id.type',
      'peer',
      '-u',
      ca.url,
      '-H',
      ca.registrarHome,
      ...caArgs,
    ]);
    await run(binary('fabric-ca-client'), ['enroll', '-u', enrollUrl, '--mspdir', path.join(dir, 'msp'), '-H', dir, ...caArgs]);
    const hosts = [dns, `${dns}.cluster.local`, pod, 'localhost', '127.0.0.1'].join(',');
    await run(binary('fabric-ca-client'), [
      'enroll',
      '-u',
      enrollUrl,
      '--mspdir',
      path.join(dir, 'tls'),
      '-H',
      dir,
      '--enrollment.profile',
      'tls',
      '--csr.hosts',
      hosts,
      ...caArgs,
    ]);
    const file = (sub: string) => path.join(dir, sub, readdirSync(path.join(dir, sub))[0] as string);
    await kubectl([
      'create',
      'secret',
      'generic',
      `org1-id-${pod}`,
      `--from-file=cert.pem=${file('msp/signcerts')}`,
      `--from-file=key.pem=${file('msp/keystore')}`,
      `--from-file=ca.pem=${file('msp/cacerts')}`,
      `--from-file=tls.crt=${file('tls/signcerts')}`,
      `--from-file=tls.key=${file('tls/keystore')}`,
      `--from-file=tls-ca.pem=${file('tls/tlscacerts')}`,
      '--from-literal=mspid=Org1MSP',
    ]);
    await kubectl(['scale', 'statefulset/org1-peer', `--replicas=${replicas}`]);
    await kubectl(['rollout', 'status', 'statefulset/org1-peer', '--timeout=240s']);
    const block = path.join(dir, 'block0.pb');
    const orderer = ['-o', env.fabric.orderer.address, '--tls', '--cafile', env.fabric.orderer.tlsRootCert];
    await run(binary('peer'), ['channel', 'fetch', '0', block, '-c', env.fabric.channel, ...orderer], { env: peerEnv(org1.address) });
    const ip = (await kubectl(['get', 'pod', pod, '-o', 'jsonpath={.status.podIP}'])).stdout.trim();
    await run(binary('peer'), ['channel', 'join', '-b', block], { env: peerEnv(`${ip}:7051`, dns) });
    await until('the new peer to catch up', async () => {
      const [mine, theirs] = await Promise.all([height(`${ip}:7051`, dns), height(org1.address)]);
      return mine >= theirs ? true : undefined;
    });
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One peer added to org1 on the real node: by the bot (Slack to caught up), and by hand with the CLIs, alternately. */
export async function peersScale(opts: BenchOptions): Promise<BenchResult> {
  const rounds = opts.short ? 1 : 3;
  const env = await startEnvironment({ realNode: true, peerPods: true });
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      channels: ['C0OPS', 'C0ALERTS'],
      users: ['U0ALICE', 'U0ADMIN1'],
      config: env.details.botConfig,
      env: { KUBECONFIG: env.details.kubeconfig, GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'true' },
    });
    const bot: number[] = [];
    const hand: number[] = [];
    let replicas = 0;
    for (let i = 0; i < rounds; i++) {
      bot.push(await byBot(stack, ++replicas));
      hand.push(await byHand(env.details, ++replicas));
    }
    const ours = median(bot);
    const cli = median(hand);
    return {
      name: 'peers-scale',
      short: opts.short,
      rows: [
        {
          what: `+1 peer pod on the real node to joined and caught up (median of ${rounds})`,
          value: `bot ${seconds(ours)}`,
          baseline: `by hand ${seconds(cli)}`,
          ratio: ours / cli,
          target: '<= 0.5x the CLIs by hand',
          met: ours / cli <= 0.5,
        },
        { what: 'each run: bot / by hand', value: `${bot.map(seconds).join(', ')} / ${hand.map(seconds).join(', ')}` },
      ],
      notes: [
        'by hand: fabric-ca-client register + 2 enrolls, kubectl create secret + scale + rollout status, peer channel fetch + join, ' +
          'getinfo until level; both wait for the same pod start (init container, peer, readiness probe): about 4.2 s of either',
      ],
    };
  } finally {
    await stack?.stop();
    await env.stop();
  }
}
