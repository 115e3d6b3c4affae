import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { nodeOUsConfig } from '../src/fabric/node-files.js';
import { binary } from '../test/infra/env/binaries.js';
import { orgPolicies } from '../test/infra/env/fabric.js';
import type { EnvDetails } from '../test/infra/env/environment.js';
import { ledgerHeight, peerCliEnv } from '../test/infra/env/peer-cli.js';
import { startStack, type Stack } from '../test/support/stack.js';
import { until, type BenchOptions, type BenchResult } from './lib.js';

const run = promisify(execFile);
const seconds = (v: number): string => `${(v / 1000).toFixed(2)} s`;

/** What `shown` finds in Slack's messages, looked for again at each change to them (at once, not on a timer). */
async function slackShows<T>(stack: Stack, what: string, shown: () => T | undefined, timeoutMs = 240_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const revision = stack.slack.revision;
    const found = shown();
    if (found !== undefined) return found;
    await stack.slack.changedSince(revision, deadline - Date.now());
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

/** `/fabric channel add-org org3`: from the command to the job's success message, both admins clicking as soon as the card shows the plan. */
async function byBot(stack: Stack, channel: string): Promise<{ took: number; planShown: number; steps: string; timeline: string }> {
  const t0 = performance.now();
  const wallStart = Date.now();
  // Waited for as the other Slack messages below: stack.command's own answer() looks every 100 ms.
  const before = stack.ephemeralFor('U0ALICE').length;
  await stack.command(`channel add-org org3 --channel ${channel}`, { user: 'U0ALICE' });
  const answer = await slackShows(stack, 'the answer', () =>
    stack
      .ephemeralFor('U0ALICE')
      .slice(before)
      .find((m) => /request `[a-z0-9]+`/.test(m.text ?? '')),
  );
  const id = /request `([a-z0-9]+)`/.exec(answer.text ?? '')?.[1];
  if (id === undefined) throw new Error(`no request: ${answer.text}`);
  const cardText = () => stack.slack.messages('C0OPS').find((m) => JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``));
  // The emulator runs in this process: each wait below looks again the moment Slack's messages change.
  const card = await slackShows(stack, 'the plan on the card', () => {
    const c = cardText();
    return c !== undefined && JSON.stringify(c.blocks).includes('*Plan*') ? c : undefined;
  });
  const planShown = performance.now() - t0;
  await Promise.all(['U0ADMIN1', 'U0ADMIN2'].map((user) => stack.click(card, 'approval_approve', { user, value: id })));
  const done = await slackShows(stack, 'the job', () =>
    stack.slack
      .messages('C0OPS')
      .find(
        (m) =>
          !m.ephemeral &&
          !m.text?.startsWith('Approval') &&
          /succeeded|failed/.test(m.text ?? '') &&
          (m.text ?? '').includes('add Org3MSP'),
      ),
  );
  const took = performance.now() - t0;
  const shown = JSON.stringify(done.blocks);
  if (!shown.includes("org3's peers")) throw new Error(`the job did not join org3's peer: ${done.text}`);
  // The job's own step timings, as its status message lists them.
  const steps = [...shown.matchAll(/:white_check_mark: ([A-Z][^("]*?) \(([0-9.]+ m?s)\)/g)].map((m) => `${m[1]} ${m[2]}`).join('; ');
  const jobTook = /took ([0-9.]+ m?s)/.exec(shown)?.[1] ?? '?';
  // What Slack saw, and when: each message the channel got, and each edit of it.
  const timeline = stack.slack
    .messages('C0OPS')
    .filter((m) => m.postedAt >= wallStart)
    .flatMap((m) => {
      const what = m.ephemeral ? 'answer' : JSON.stringify(m.blocks ?? []).includes('Request `') ? 'card' : 'job status';
      return [`${what} +${m.postedAt - wallStart} ms`, ...m.edits.map((e) => `${what} edited +${e.at - wallStart} ms`)];
    })
    .join(', ');
  return { took, planShown, steps: `${jobTook} in all: ${steps}`, timeline };
}

/**
 * The same by hand, as Fabric's test network adds Org3: fabric-ca-client getcainfo for the MSP,
 * configtxgen -printOrg, peer channel fetch config, configtxlator decode / edit / encode /
 * compute_update / wrap, peer channel signconfigtx as org1, peer channel update as org2, then org3's
 * peer fetches block 0, joins, and is waited for until level with org1's.
 */
async function byHand(env: EnvDetails, channel: string): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fco-bench-addorg-'));
  const f = (name: string): string => path.join(dir, name);
  const org3 = env.fabric.candidates.find((c) => c.org === 'org3');
  const org1 = env.fabric.peers.find((p) => p.org === 'org1');
  const org2 = env.fabric.peers.find((p) => p.org === 'org2');
  if (org3 === undefined || org1 === undefined || org2 === undefined) throw new Error('no org1, org2 or org3 in the environment');
  const caUrl = (
    parse(readFileSync(env.botConfig, 'utf8')) as { networks: { orgs: { name: string; ca: { url: string; caName: string } }[] }[] }
  ).networks[0]?.orgs.find((o) => o.name === 'org3')?.ca;
  if (caUrl === undefined) throw new Error("no org3 CA in the bot's configuration");
  const o = env.fabric.orderer;
  const orderer = ['-o', o.address, '--tls', '--cafile', o.tlsRootCert];
  const peer = (org: string, args: string[]) => run(binary('peer'), args, { env: peerCliEnv(env, org) });
  const txl = (args: string[]) => run(binary('configtxlator'), args);
  try {
    const t0 = performance.now();
    const msp = f('org3/msp');
    await run(binary('fabric-ca-client'), [
      'getcainfo',
      '-u',
      caUrl.url,
      '--caname',
      caUrl.caName,
      '--tls.certfiles',
      org3.tlsRootCert,
      '-M',
      msp,
      '-H',
      f('org3'),
    ]);
    mkdirSync(path.join(msp, 'tlscacerts'), { recursive: true });
    writeFileSync(path.join(msp, 'tlscacerts', 'ca.pem'), readFileSync(org3.tlsRootCert));
    const cacert = (await run('ls', [path.join(msp, 'cacerts')])).stdout.trim().split('\n')[0] ?? '';
    writeFileSync(path.join(msp, 'config.yaml'), nodeOUsConfig(`cacerts/${cacert}`));
    const m = 'Org3MSP';
    writeFileSync(
      f('configtx.yaml'),
      stringify({
        Organizations: [
          {
            Name: m,
            ID: m,
            MSPDir: msp,
            Policies: orgPolicies(m),
          },
        ],
      }),
    );
    const org3Json = JSON.parse(
      (await run(binary('configtxgen'), ['-printOrg', m], { env: { ...process.env, FABRIC_CFG_PATH: dir } })).stdout,
    );
    await peer('org1', ['channel', 'fetch', 'config', f('config_block.pb'), '-c', channel, ...orderer]);
    await txl(['proto_decode', '--input', f('config_block.pb'), '--type', 'common.Block', '--output', f('config_block.json')]);
    const config = JSON.parse(readFileSync(f('config_block.json'), 'utf8')).data.data[0].payload.data.config;
    writeFileSync(f('config.json'), JSON.stringify(config));
    config.channel_group.groups.Application.groups[m] = org3Json;
    writeFileSync(f('modified_config.json'), JSON.stringify(config));
    await txl(['proto_encode', '--input', f('config.json'), '--type', 'common.Config', '--output', f('config.pb')]);
    await txl(['proto_encode', '--input', f('modified_config.json'), '--type', 'common.Config', '--output', f('modified_config.pb')]);
    await txl([
      'compute_update',
      '--channel_id',
      channel,
      '--original',
      f('config.pb'),
      '--updated',
      f('modified_config.pb'),
      '--output',
      f('update.pb'),
    ]);
    await txl(['proto_decode', '--input', f('update.pb'), '--type', 'common.ConfigUpdate', '--output', f('update.json')]);
    const update = JSON.parse(readFileSync(f('update.json'), 'utf8'));
    writeFileSync(
      f('update_in_envelope.json'),
      JSON.stringify({ payload: { header: { channel_header: { channel_id: channel, type: 2 } }, data: { config_update: update } } }),
    );
    await txl([
      'proto_encode',
      '--input',
      f('update_in_envelope.json'),
      '--type',
      'common.Envelope',
      '--output',
      f('update_in_envelope.pb'),
    ]);
    await peer('org1', ['channel', 'signconfigtx', '-f', f('update_in_envelope.pb')]);
    await peer('org2', ['channel', 'update', '-f', f('update_in_envelope.pb'), '-c', channel, ...orderer]);
    // Org3's admin fetches block 0 (the orderer serves it once the channel has Org3) and joins its
    // peer. Tries follow each other at once (5 ms), as the bot's own waits nearly do.
    await until(
      'block 0 for org3',
      async () => {
        await peer('org3', ['channel', 'fetch', '0', f('block0.pb'), '-c', channel, ...orderer]);
        return true;
      },
      240_000,
      5,
    );
    await peer('org3', ['channel', 'join', '-b', f('block0.pb')]);
    await until(
      'org3’s peer to catch up',
      async () => {
        const [mine, theirs] = await Promise.all([
          ledgerHeight({ ...env, fabric: { ...env.fabric, channel } }, 'org3'),
          ledgerHeight({ ...env, fabric: { ...env.fabric, channel } }, 'org1'),
        ]);
        return mine >= theirs ? true : undefined;
      },
      240_000,
      5,
    );
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Org3 added to a channel end to end: by the bot (one command, both admins clicking at once) on
 * mychannel, and by hand with Fabric's CLIs on governance (the channel with fewer blocks, so its
 * catch-up is the shorter: any advantage goes to the CLIs). One round each: org3 can join once.
 */
export async function addOrg(env: EnvDetails, opts: BenchOptions): Promise<BenchResult> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'fco-bench-addorg-config-'));
  const config = path.join(work, 'bot.yaml');
  const yaml = parse(readFileSync(env.botConfig, 'utf8')) as { networks: { fabricChannels: string[] }[] };
  (yaml.networks[0] as { fabricChannels: string[] }).fabricChannels = ['mychannel', 'governance'];
  writeFileSync(config, stringify(yaml));
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      channels: ['C0OPS', 'C0ALERTS'],
      users: ['U0ALICE', 'U0ADMIN1', 'U0ADMIN2'],
      config,
      env: { KUBECONFIG: env.kubeconfig },
    });
    const heightOf = async (channel: string) => ledgerHeight({ ...env, fabric: { ...env.fabric, channel } }, 'org1');
    const heights = { mychannel: await heightOf('mychannel'), governance: await heightOf('governance') };
    // A worker that has run nothing yet loads its CA client and first connections on its first
    // job (about 350 ms here): one read of a channel and one of a CA, as any running bot has done.
    for (const warmUp of ['channel show --channel mychannel', 'cert show org1 admin'])
      await (await stack.command(warmUp, { user: 'U0ALICE' })).answer(20_000);
    const bot = await byBot(stack, 'mychannel');
    const ours = bot.took;
    const cli = await byHand(env, 'governance');
    return {
      name: 'add-org',
      short: opts.short,
      rows: [
        {
          what: 'add org3 to a channel: planned, signed by 2 orgs, submitted, its peer joined and caught up',
          value: `bot ${seconds(ours)}`,
          baseline: `CLIs by hand ${seconds(cli)}`,
          ratio: ours / cli,
          target: '<= 0.5x the CLIs by hand',
          met: ours / cli <= 0.5,
        },
      ],
      notes: [
        `bot: the plan on the card ${seconds(bot.planShown)} after the command; the job ${bot.steps}; the rest is ` +
          'Slack round trips, the two signature jobs and the approved job taking their turns on the queue',
        `bot, as Slack saw it: ${bot.timeline}`,
        `bot on mychannel (height ${heights.mychannel} before), by hand on governance (height ${heights.governance}); ` +
          'by hand: fabric-ca-client getcainfo, configtxgen -printOrg, peer channel fetch config, 6 configtxlator runs, ' +
          'signconfigtx, update, fetch 0, join, getinfo until level. Neither counts the time people take to read and click.',
      ],
      raw: { ours, cli, heights, planShownMs: bot.planShown, botSteps: bot.steps, slackTimeline: bot.timeline },
    };
  } finally {
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
