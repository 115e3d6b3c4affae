import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { common } from '@hyperledger/fabric-protos';
import { computeConfigUpdate } from '../../src/fabric/config-update.js';
import { JobQueue } from '../../src/jobs/engine/queue.js';
import { loadConfig } from '../../src/config/load.js';
import { ledgerHeight } from '../../src/fabric/channel.js';
import { crlSerials } from '../../src/fabric/crl.js';
import { caAccess } from '../../src/jobs/services/ca-access.js';
import { connectKube } from '../../src/k8s/client.js';
import { nodeOUsConfig } from '../../src/fabric/node-files.js';
import { applicationOrgGroup } from '../../src/fabric/org-definition.js';
import { withApplicationOrg } from '../../src/fabric/config-edits.js';
import { describeConfigChange } from '../../src/fabric/config-diff.js';
import { broadcast, channelConfig, configUpdateTransaction, OrdererRefusal, signConfigUpdate } from '../../src/fabric/channel-config.js';
import { withGateway, type FabricIdentity, type PeerEndpoint } from '../../src/fabric/connection.js';
import { approveForMyOrg, ccaasPackage, commitDefinition, commitReadiness, installPackage } from '../../src/fabric/lifecycle.js';
import { evaluatePolicy, requiredPolicies, signerOf, type PolicySigner } from '../../src/fabric/config-policy.js';
import { binary } from '../infra/env/binaries.js';
import { orgPolicies } from '../infra/env/fabric.js';
import { accepts, type OrdererDetails } from '../infra/env/environment.js';
import { freePort } from '../infra/env/net.js';
import { ManagedProcess } from '../infra/env/proc.js';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';
import { peerCli, testEnvironment } from './support.js';

// The channel's real configuration, fetched from the orderer with Fabric's peer CLI, changed in
// the ways channel governance changes it; each ConfigUpdate computed by src/fabric must decode to
// exactly what Fabric's configtxlator compute_update produces for the same two configs.

const run = promisify(execFile);
const env = testEnvironment();
const work = mkdtempSync(path.join(os.tmpdir(), 'fco-config-update-'));
const file = (name: string): string => path.join(work, name);

const configtxlator = async (args: string[]): Promise<void> => {
  await run(binary('configtxlator'), args);
};
/** configtxlator proto_decode: the message as Fabric's own JSON. */
async function decode(type: string, bytes: Uint8Array): Promise<unknown> {
  writeFileSync(file('in.pb'), bytes);
  await configtxlator(['proto_decode', '--type', type, '--input', file('in.pb'), '--output', file('out.json')]);
  return JSON.parse(readFileSync(file('out.json'), 'utf8'));
}
async function encode(type: string, json: unknown): Promise<Uint8Array> {
  writeFileSync(file('in.json'), JSON.stringify(json));
  await configtxlator(['proto_encode', '--type', type, '--input', file('in.json'), '--output', file('out.pb')]);
  return readFileSync(file('out.pb'));
}

// biome-ignore lint/suspicious/noExplicitAny: configtxlator's JSON of a channel config, edited as a test would by hand.
type Json = any;
let original: Json;

/** The channel's current config as the orderer gives it to `org`'s admin (`peer channel fetch config`), as configtxlator's JSON. */
async function fetchedConfig(org: string, channel = env.fabric.channel): Promise<Json> {
  const block = file(`${org}-${channel}-config.block`);
  // From the first orderer that gives it, as a client with several does (one may be changing its place in the Raft set).
  const fetched = await env.fabric.orderers.reduce<Promise<boolean>>(
    async (done, o) =>
      (await done) ||
      peerCli(org, ['channel', 'fetch', 'config', block, '-o', o.address, '--tls', '--cafile', o.tlsRootCert, '-c', channel]).then(
        () => true,
        () => false,
      ),
    Promise.resolve(false),
  );
  if (!fetched) throw new Error(`no orderer gave ${channel}'s config block`);
  const decoded = (await decode('common.Block', readFileSync(block))) as Json;
  return decoded.data.data[0].payload.data.config;
}

/** The admin identity the harness enrolled for a peer's org. */
const identityOf = (p: { mspId: string; adminMsp: string }): FabricIdentity => {
  const keystore = path.join(p.adminMsp, 'keystore');
  return {
    mspId: p.mspId,
    certPem: readFileSync(path.join(p.adminMsp, 'signcerts', 'cert.pem'), 'utf8'),
    keyPem: readFileSync(path.join(keystore, readdirSync(keystore)[0] as string), 'utf8'),
  };
};

/** An org's first peer and its admin, as the harness enrolled it. */
const org = (name: string): { peer: PeerEndpoint; admin: FabricIdentity } => {
  const p = env.fabric.peers.find((x) => x.org === name);
  if (p === undefined) throw new Error(`no ${name}`);
  return { peer: { address: p.address, tlsRootPem: readFileSync(p.tlsRootCert, 'utf8') }, admin: identityOf(p) };
};

beforeAll(async () => {
  original = await fetchedConfig('org1');
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Both computations of the update from `original` to `edit(copy of original)`, as configtxlator's JSON. */
async function bothUpdates(edit: (config: Json) => void): Promise<{ ours: unknown; fabric: unknown; plan: string[] }> {
  const updated = structuredClone(original);
  edit(updated);
  const [before, after] = [await encode('common.Config', original), await encode('common.Config', updated)];
  writeFileSync(file('original.pb'), before);
  writeFileSync(file('updated.pb'), after);
  await configtxlator([
    'compute_update',
    '--channel_id',
    env.fabric.channel,
    '--original',
    file('original.pb'),
    '--updated',
    file('updated.pb'),
    '--output',
    file('fabric-update.pb'),
  ]);
  const fabric = await decode('common.ConfigUpdate', readFileSync(file('fabric-update.pb')));
  const [from, to] = [common.Config.deserializeBinary(before), common.Config.deserializeBinary(after)];
  const ours = await decode('common.ConfigUpdate', computeConfigUpdate(env.fabric.channel, from, to).serializeBinary());
  return { ours, fabric, plan: describeConfigChange(from, to) };
}

const application = (c: Json): Json => c.channel_group.groups.Application;

describe('computeConfigUpdate against configtxlator compute_update, on the channel’s real config', () => {
  it('a changed value deep inside (the orderer’s batch timeout)', async () => {
    const was = original.channel_group.groups.Orderer.values.BatchTimeout.value.timeout;
    const { ours, fabric, plan } = await bothUpdates((c) => {
      c.channel_group.groups.Orderer.values.BatchTimeout.value.timeout = '3s';
    });
    expect(ours).toEqual(fabric);
    expect(JSON.stringify(ours)).toContain('"3s"');
    expect(plan).toEqual([`batch timeout of the orderer: ${was} → 3s`]);
  });

  it('an org’s anchor peers set, where it had none or others', async () => {
    const { ours, fabric, plan } = await bothUpdates((c) => {
      application(c).groups.Org1MSP.values.AnchorPeers = {
        mod_policy: 'Admins',
        value: { anchor_peers: [{ host: 'org1-peer-0.org1-peer.fabric.svc', port: 7051 }] },
        version: '0',
      };
    });
    expect(ours).toEqual(fabric);
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatch(/^anchor peers of Org1MSP: .+ → org1-peer-0\.org1-peer\.fabric\.svc:7051$/);
  });

  it('a new org added to the application group (its whole group written at version 0)', async () => {
    const { ours, fabric, plan } = await bothUpdates((c) => {
      const org3 = structuredClone(application(c).groups.Org2MSP);
      org3.values.MSP.value.config.name = 'Org3MSP';
      application(c).groups.Org3MSP = org3;
    });
    expect(ours).toEqual(fabric);
    expect(JSON.stringify(ours)).toContain('Org3MSP');
    expect(plan).toEqual(['org Org3MSP added to the application']);
  });

  it('an org removed, a policy removed and a mod_policy changed at once', async () => {
    const { ours, fabric, plan } = await bothUpdates((c) => {
      delete application(c).groups.Org2MSP;
      delete application(c).policies.Endorsement;
      c.channel_group.groups.Orderer.values.BatchSize.mod_policy = 'Writers';
    });
    expect(ours).toEqual(fabric);
    expect(plan.sort()).toEqual(
      [
        'org Org2MSP removed from the application',
        'policy Endorsement of the application: MAJORITY Endorsement → none',
        'who may change batch size of the orderer: Admins → Writers',
      ].sort(),
    );
  });

  it('refuses to compute an update from a config to itself, as configtxlator does', async () => {
    const same = await encode('common.Config', original);
    expect(() =>
      computeConfigUpdate(env.fabric.channel, common.Config.deserializeBinary(same), common.Config.deserializeBinary(same)),
    ).toThrow('no differences');
  });
});

describe('a config update signed by each org’s admin and submitted to the orderer', () => {
  const [org1, org2] = [org('org1'), org('org2')];
  const ordererEndpoint = { address: env.fabric.orderer.address, tlsRootPem: readFileSync(env.fabric.orderer.tlsRootCert, 'utf8') };
  const channel = env.fabric.channel;

  it('is refused with one org’s signature (MAJORITY of Admins), applied with both, and refused again once stale', async () => {
    const before = await channelConfig(org1.peer, org1.admin, channel);
    // A policy nobody uses: changing the Application group's membership needs /Channel/Application/Admins.
    const updated = common.Config.deserializeBinary(before.serializeBinary());
    const app = updated.getChannelGroup()?.getGroupsMap().get('Application') as common.ConfigGroup;
    const policy = common.ConfigPolicy.deserializeBinary(app.getPoliciesMap().get('Readers')?.serializeBinary() as Uint8Array);
    policy.setModPolicy('Admins');
    policy.setVersion(0);
    app.getPoliciesMap().set('FcoGovernanceTest', policy);
    const computed = computeConfigUpdate(channel, before, updated);
    const update = computed.serializeBinary();
    expect(describeConfigChange(before, updated)).toEqual(['policy FcoGovernanceTest of the application: none → ANY Readers']);
    // What the bot predicts, before asking the orderer.
    expect(requiredPolicies(before, computed)).toEqual([{ element: '/Channel/Application', policy: '/Channel/Application/Admins' }]);
    const [signer1, signer2] = [org1, org2].map((o) => signerOf(o.admin.mspId, o.admin.certPem)) as [PolicySigner, PolicySigner];
    expect(evaluatePolicy(before, '/Channel/Application/Admins', [signer1])).toEqual({
      satisfied: false,
      asks: 'MAJORITY of Admins: 2 of Org1MSP, Org2MSP',
      explanation: 'MAJORITY of Admins: 2 of Org1MSP, Org2MSP (has Org1MSP)',
    });
    expect(evaluatePolicy(before, '/Channel/Application/Admins', [signer1, signer2]).satisfied).toBe(true);
    // A peer's signature is not an admin's.
    const org2Peer: PolicySigner = { mspId: 'Org2MSP', roles: new Set(['member', 'peer']) };
    expect(evaluatePolicy(before, '/Channel/Application/Admins', [signer1, org2Peer]).satisfied).toBe(false);

    const oneSignature = await configUpdateTransaction(channel, update, [await signConfigUpdate(update, org1.admin)], org1.admin);
    const refused = await broadcast(ordererEndpoint, oneSignature).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(OrdererRefusal);
    expect((refused as Error).message).toMatch(/FORBIDDEN|BAD_REQUEST/);
    expect((refused as Error).message).toContain("2 of the 'Admins' sub-policies");

    const signatures = [await signConfigUpdate(update, org1.admin), await signConfigUpdate(update, org2.admin)];
    await broadcast(ordererEndpoint, await configUpdateTransaction(channel, update, signatures, org1.admin));
    const after = await eventually(
      'the new config on org2’s peer',
      async () => {
        const c = await channelConfig(org2.peer, org2.admin, channel);
        return c.getSequence() > before.getSequence() ? c : undefined;
      },
      30_000,
    );
    expect(after.getSequence()).toBe(before.getSequence() + 1);
    // Read back with Fabric's own tools.
    const policies = application(await fetchedConfig('org2')).policies;
    expect(policies.FcoGovernanceTest.mod_policy).toBe('Admins');

    // The same update again: its read set names versions the channel has moved past.
    const stale = await broadcast(ordererEndpoint, await configUpdateTransaction(channel, update, signatures, org1.admin)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(stale).toBeInstanceOf(OrdererRefusal);
    expect((stale as Error).message).toMatch(/version/);
  }, 120_000);
});

describe('/fabric channel acl from Slack: planned on the card, signed by each org at its click, submitted by the bot', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await slackStack(env.botConfig);
  }, 120_000);
  afterAll(async () => stack?.stop());

  const aclInFabric = async (resource: string): Promise<string | undefined> =>
    application(await fetchedConfig('org1')).values.ACLs?.value.acls[resource]?.policy_ref;

  it('shows the plan before any click and each signature as it is made; applies it; read back with the CLI', async () => {
    const { id, card } = await requested(stack, 'channel acl peer/ChaincodeToChaincode /Channel/Application/Writers');
    const planned = await cardSays(stack, id, '*Plan* for `mychannel` at config sequence');
    expect(planned).toContain("ACL peer/ChaincodeToChaincode of the application: Fabric's default → /Channel/Application/Writers");
    expect(planned).toContain('Fabric will check `/Channel/Application/Admins`: MAJORITY of Admins: 2 of Org1MSP, Org2MSP');
    expect(planned).toContain(':white_circle: Org1MSP · :white_circle: Org2MSP');
    const sequence = Number(/at config sequence (\d+)/.exec(planned)?.[1]);

    await stack.click(card, 'approval_approve', { user: 'U0ADMIN1', value: id });
    // org1's admin signed at the click: the card says so while org2's signature is still awaited.
    await cardSays(stack, id, ':white_check_mark: Org1MSP (<@U0ADMIN1>) · :white_circle: Org2MSP');
    await stack.click(card, 'approval_approve', { user: 'U0ADMIN2', value: id });
    const said = await outcome(stack, id);
    expect(said).toContain('succeeded');
    expect(said).toContain('needs /Channel/Application/Admins: MAJORITY of Admins: 2 of Org1MSP, Org2MSP (has Org1MSP, Org2MSP)');
    expect(said).toContain(`config sequence ${sequence} → ${sequence + 1}`);
    await cardSays(stack, id, ':white_check_mark: Org2MSP (<@U0ADMIN2>)');
    expect(await aclInFabric('peer/ChaincodeToChaincode')).toBe('/Channel/Application/Writers');

    // The same approved job run again from its first step, as after a crash between the orderer's
    // answer and the job's record of it: it finds the update applied and submits nothing.
    const queue = new JobQueue(stack.redis.client, { attempts: 1, backoffMs: 500 });
    const applied = await queue.queueFor('testnet').getJob(id);
    if (applied === undefined) throw new Error(`no job ${id}`);
    const { statusMessage: _shown, ...request } = applied.data;
    const sequenceAfter = (await fetchedConfig('org1')).sequence;
    await queue.enqueue(`${id}again`, request);
    expect(await outcome(stack, `${id}again`)).toContain(`already so (config sequence ${sequenceAfter})`);
    expect((await fetchedConfig('org1')).sequence).toBe(sequenceAfter);
    await queue.close();

    // Asked again: planned as nothing to change, and nothing submitted.
    const again = await requested(stack, 'channel acl peer/ChaincodeToChaincode /Channel/Application/Writers');
    await cardSays(stack, again.id, 'nothing to change, the channel already has it');
    await approveBoth(stack, again);
    expect(await outcome(stack, again.id)).toContain('already so');
  }, 120_000);

  it('shows the channel as the peers have it: members, who decides, ordering, ACLs, the sequence the CLI reads', async () => {
    const before = stack.ephemeralFor('U0ALICE').length;
    await stack.command('channel show', { user: 'U0ALICE' });
    await stack.answerTo('U0ALICE', before);
    const shown = stack.lastText(stack.ephemeralFor('U0ALICE').at(-1));
    const fetched = await fetchedConfig('org2');
    expect(shown).toContain(`*Channel \`mychannel\`* — config sequence ${fetched.sequence}`);
    const org1Anchors = application(fetched).groups.Org1MSP.values.AnchorPeers.value.anchor_peers.map((p: Json) => `${p.host}:${p.port}`);
    expect(shown).toContain(`Org1MSP (anchor peers ${org1Anchors.join(', ')})`);
    expect(shown).toContain('`/Channel/Application/Admins`: MAJORITY of Admins: 2 of Org1MSP, Org2MSP');
    expect(shown).toContain('batch timeout 200ms');
    expect(shown).toContain('consensus Raft, consenters');
    expect(shown).toContain('peer/ChaincodeToChaincode → /Channel/Application/Writers');
  }, 60_000);

  it('refuses a plan the channel moved past: of two plans made on one sequence, the second is refused after the first applies', async () => {
    const first = await requested(stack, 'channel acl qscc/GetBlockByHash /Channel/Application/Writers');
    const second = await requested(stack, 'channel acl qscc/GetTransactionByID /Channel/Application/Writers');
    const [a, b] = await Promise.all([first, second].map((r) => cardSays(stack, r.id, '*Plan* for `mychannel` at config sequence')));
    const sequence = Number(/at config sequence (\d+)/.exec(a ?? '')?.[1]);
    expect(b).toContain(`at config sequence ${sequence}`);
    const before = await aclInFabric('qscc/GetTransactionByID');

    await approveBoth(stack, first);
    expect(await outcome(stack, first.id)).toContain(`config sequence ${sequence} → ${sequence + 1}`);
    await approveBoth(stack, second);
    const refused = await outcome(stack, second.id);
    expect(refused).toContain('failed');
    expect(refused).toContain(
      `mychannel moved from config sequence ${sequence} to ${sequence + 1} since this update was planned, so it was not submitted: request it again`,
    );
    expect(await aclInFabric('qscc/GetTransactionByID')).toBe(before);

    // One click asks again: a new request, planned on the channel as it is now, then applied.
    const failed = stack.slack
      .messages('C0OPS')
      .find((m) => !m.ephemeral && !m.text?.startsWith('Approval') && stack.lastText(m).includes(`Job \`${second.id}\``));
    if (failed === undefined) throw new Error('no status message for the refused job');
    await stack.click(failed, 'job_request_again', {
      user: 'U0ALICE',
      value: `testnet/channel acl qscc/GetTransactionByID /Channel/Application/Writers`,
    });
    const again = await eventually('a new approval card', async () =>
      stack.slack
        .messages('C0OPS')
        .map((m) => /Request `([a-z0-9]+)`/.exec(JSON.stringify(m.blocks ?? []))?.[1])
        .find(
          (id) =>
            id !== undefined &&
            ![first.id, second.id].includes(id) &&
            JSON.stringify(cardOf(stack, id)?.blocks).includes('qscc/GetTransactionByID'),
        ),
    );
    await cardSays(stack, again, `at config sequence ${sequence + 1}`);
    await approveBoth(stack, { id: again, card: cardOf(stack, again) as NonNullable<ReturnType<typeof cardOf>> });
    expect(await outcome(stack, again)).toContain(`config sequence ${sequence + 1} → ${sequence + 2}`);
    expect(await aclInFabric('qscc/GetTransactionByID')).toBe('/Channel/Application/Writers');
  }, 180_000);

  it('refuses a policy the channel does not have on the card, before anyone signs, and leaves the config as it was', async () => {
    const before = await aclInFabric('qscc/GetChainInfo');
    const request = await requested(stack, 'channel acl qscc/GetChainInfo /Channel/Application/Nobody');
    await cardSays(stack, request.id, ':warning: /Channel/Application/Nobody is not a policy of the channel');
    await approveBoth(stack, request);
    const said = await outcome(stack, request.id);
    expect(said).toContain('failed');
    expect(said).toContain('/Channel/Application/Nobody is not a policy of the channel');
    expect(await aclInFabric('qscc/GetChainInfo')).toBe(before);
  }, 120_000);

  it('sets an org’s anchor peers, signed by that org’s admin alone as its group’s Admins policy asks; read back with the CLI', async () => {
    const org1Peer = env.fabric.peers.find((p) => p.org === 'org1')?.address ?? '';
    const anchors = `${org1Peer} org1-peer-0.org1-peer.fabric.svc:7051`;
    const request = await requested(stack, `channel anchors org1 ${anchors}`);
    const planned = await cardSays(stack, request.id, '*Plan* for `mychannel` at config sequence');
    expect(planned).toMatch(new RegExp(`anchor peers of Org1MSP: [^"]+ → ${anchors.replace(' ', ', ').replaceAll('.', '\\.')}`));
    expect(planned).toContain('Fabric will check `/Channel/Application/Org1MSP/Admins`');
    expect(planned).toContain('Signatures: :white_circle: Org1MSP');
    expect(planned).not.toContain('Org2MSP');
    await stack.click(request.card, 'approval_approve', { user: 'U0ADMIN1', value: request.id });
    const said = await outcome(stack, request.id);
    expect(said).toContain('succeeded');
    expect(said).toContain('Signed by*\\nOrg1MSP');
    const anchorsInFabric = async (): Promise<string> =>
      application(await fetchedConfig('org2'))
        .groups.Org1MSP.values.AnchorPeers?.value.anchor_peers.map((p: Json) => `${p.host}:${p.port}`)
        .join(' ');
    expect(await anchorsInFabric()).toBe(anchors);
    // Back to the peer the channel was made with, so that gossip across orgs stays as it was.
    const back = await requested(stack, `channel anchors org1 ${org1Peer}`);
    await stack.click(back.card, 'approval_approve', { user: 'U0ADMIN1', value: back.id });
    expect(await outcome(stack, back.id)).toContain('succeeded');
    expect(await anchorsInFabric()).toBe(org1Peer);
  }, 120_000);

  it('refuses a malformed policy path before anything is requested', async () => {
    const before = stack.ephemeralFor('U0ALICE').length;
    await stack.command('channel acl qscc/GetChainInfo Writers', { user: 'U0ALICE' });
    expect(await stack.answerTo('U0ALICE', before)).toContain('a policy path such as /Channel/Application/Writers');
  });
});

describe('a Slack rule that asks less than Fabric: raised to Fabric’s count on the card, and never submitted short', () => {
  let stack: Stack;
  const config = path.join(work, 'less-than-fabric.yaml');
  beforeAll(async () => {
    const yaml = parse(readFileSync(env.botConfig, 'utf8')) as Json;
    yaml.networks[0].fabricChannels = ['mychannel', 'governance'];
    yaml.policies = { ...yaml.policies, 'channel acl': { approval: { rule: 'ANY' } }, 'channel remove-org': { approval: 'none' } };
    writeFileSync(config, stringify(yaml));
    stack = await slackStack(config);
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('asks org1 and org2 for 2 approvals where the configuration said ANY of three orgs: one click leaves it waiting', async () => {
    const request = await requested(stack, 'channel acl qscc/GetChainInfo /Channel/Application/Writers');
    const card = await cardSays(stack, request.id, "Needs 2 of 2, as Fabric's policy asks, of *org1*, *org2*");
    expect(card).not.toContain('*org3*');
    await stack.click(request.card, 'approval_approve', { user: 'U0ADMIN1', value: request.id });
    const after = await cardSays(stack, request.id, ':white_check_mark: Org1MSP (<@U0ADMIN1>)');
    expect(after).toContain('*org2* — waiting for an admin');
    expect(after).toContain('Waiting for approval');
  }, 120_000);

  it('without any approval asked, one org’s admin alone: not submitted, and says what is missing', async () => {
    const before = stack.ephemeralFor('U0ADMIN1').length;
    await stack.command('channel remove-org org2 --channel governance', { user: 'U0ADMIN1' });
    const answer = await stack.answerTo('U0ADMIN1', before);
    const id = /Queued job `([a-z0-9]+)`/.exec(answer)?.[1];
    if (id === undefined) throw new Error(`not queued: ${answer}`);
    const said = await outcome(stack, id);
    expect(said).toContain('failed');
    expect(said).toContain(
      'not submitted, Fabric would refuse it: /Channel/Application/Admins asks MAJORITY of Admins: 2 of Org1MSP, Org2MSP, and only Org1MSP signed (Org2MSP can still sign',
    );
    expect(Object.keys(application(await fetchedConfig('org1', 'governance')).groups).sort()).toEqual(['Org1MSP', 'Org2MSP']);
  }, 120_000);
});

describe('onboarding org3 onto the governance channel, and the refusals around it', () => {
  const GOVERNANCE = 'governance';
  let stack: Stack;
  const config = path.join(work, 'governance.yaml');
  const org3 = env.fabric.candidates[0] as (typeof env.fabric.candidates)[number];
  const members = async (org = 'org1'): Promise<string[]> => Object.keys(application(await fetchedConfig(org, GOVERNANCE)).groups).sort();
  beforeAll(async () => {
    const yaml = parse(readFileSync(env.botConfig, 'utf8')) as Json;
    yaml.networks[0].fabricChannels = ['mychannel', GOVERNANCE];
    writeFileSync(config, stringify(yaml));
    stack = await slackStack(config, ['U0ADMIN3', 'U0ORDADMIN']);
  }, 120_000);
  let chaincodeServer: ManagedProcess | undefined;
  afterAll(async () => {
    await chaincodeServer?.stop();
    await stack?.stop();
  });

  it('builds the org’s definition exactly as configtxgen -printOrg does from an MSP folder with the same certificates', async () => {
    const pem = readFileSync(org3.tlsRootCert, 'utf8');
    const msp = path.join(work, 'org3-msp');
    for (const sub of ['cacerts', 'tlscacerts']) {
      mkdirSync(path.join(msp, sub), { recursive: true });
      writeFileSync(path.join(msp, sub, 'ca.pem'), pem);
    }
    writeFileSync(path.join(msp, 'config.yaml'), nodeOUsConfig('cacerts/ca.pem'));
    const m = 'Org3MSP';
    const configtx = {
      Organizations: [
        {
          Name: m,
          ID: m,
          MSPDir: msp,
          Policies: orgPolicies(m),
        },
      ],
    };
    writeFileSync(file('configtx.yaml'), stringify(configtx));
    const { stdout } = await run(binary('configtxgen'), ['-printOrg', m], { env: { ...process.env, FABRIC_CFG_PATH: work } });
    // Decoded inside a channel config, where configtxlator knows the MSP value's type.
    const channel = common.Config.deserializeBinary(await encode('common.Config', original));
    const withOrg3 = withApplicationOrg(channel, m, applicationOrgGroup({ mspId: m, caChain: [pem], tlsRoots: [pem] }));
    const ours = application(await decode('common.Config', withOrg3.serializeBinary())).groups[m];
    expect(ours).toEqual(JSON.parse(stdout));
  });

  it('asks only the orgs Fabric counts: org3, not yet a member, is told why its approval is not asked', async () => {
    const before = await members();
    const request = await requested(stack, `channel acl qscc/GetChainInfo /Channel/Application/Writers --channel ${GOVERNANCE}`);
    await cardSays(stack, request.id, 'a majority (2 of 2) of *org1*, *org2*');
    const told = stack.ephemeralFor('U0ADMIN3').length;
    await stack.click(request.card, 'approval_approve', { user: 'U0ADMIN3', value: request.id });
    expect(await stack.answerTo('U0ADMIN3', told)).toContain('your organisation (org3) is not asked to approve this; org1, org2 are');
    await stack.click(request.card, 'approval_approve', { user: 'U0ADMIN1', value: request.id });
    expect(await cardSays(stack, request.id, '*org2* — waiting for an admin')).toContain('Waiting for approval');
    expect(await members()).toEqual(before);
  }, 120_000);

  it('adds org3: planned, signed by org1’s and org2’s admins, submitted; its peer joins and catches up (checked with the CLIs)', async () => {
    expect(await members()).toEqual(['Org1MSP', 'Org2MSP']);
    // A chaincode the channel runs, which org3 will have to approve before its peer endorses.
    const def = { channel: GOVERNANCE, name: 'govcc', version: '1.0', sequence: 1 };
    const port = await freePort();
    const pkg = ccaasPackage('govcc_1.0', `127.0.0.1:${port}`);
    chaincodeServer = ManagedProcess.start('chaincode-govcc', process.execPath, [path.resolve('test/fixtures/chaincode/basic/server.js')], {
      logDir: work,
      env: { CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`, CHAINCODE_ID: pkg.packageId },
    });
    await chaincodeServer.waitUntil('the chaincode server to listen', () => accepts(port));
    const [org1, org2] = [org('org1'), org('org2')];
    for (const o of [org1, org2]) {
      await installPackage(o.peer, o.admin, pkg.bytes);
      await eventually(`${o.admin.mspId}'s approval`, () =>
        withGateway(o.peer, o.admin, (g) => approveForMyOrg(g, def, pkg.packageId, o.admin.mspId)).catch(() => undefined),
      );
    }
    await withGateway(org1.peer, org1.admin, (g) => commitDefinition(g, def, ['Org1MSP', 'Org2MSP']));

    const request = await requested(stack, `channel add-org org3 --channel ${GOVERNANCE}`);
    const planned = await cardSays(stack, request.id, `*Plan* for \`${GOVERNANCE}\``);
    expect(planned).toContain('Org3MSP added to');
    expect(planned).toContain('Fabric will check `/Channel/Application/Admins`: MAJORITY of Admins: 2 of Org1MSP, Org2MSP');
    await approveBoth(stack, request);
    const said = await outcome(stack, request.id);
    expect(said).toContain('succeeded');
    expect(said).toContain(`org3's peers*\\n${org3.address} at height`);
    expect(said).toContain('For org3 to approve*\\ngovcc 1.0 (sequence 1)');
    expect(await members()).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    const list = await peerCli('org3', ['channel', 'list']);
    expect(list).toContain(GOVERNANCE);
    const height = async (org: string): Promise<number> => {
      const out = await peerCli(org, ['channel', 'getinfo', '-c', GOVERNANCE]);
      return (JSON.parse(out.slice(out.indexOf('{'))) as { height: number }).height;
    };
    expect(await height('org3')).toBe(await height('org1'));

    // Org3's peer endorses govcc only once org3 has approved the committed definition: the
    // status message offers that as a button, which an admin of org3 clicks.
    const admin3 = identityOf(org3);
    const put = (value: string) =>
      withGateway({ address: org3.address, tlsRootPem: readFileSync(org3.tlsRootCert, 'utf8') }, admin3, (g) =>
        g
          .getNetwork(GOVERNANCE)
          .getContract('govcc')
          .submit('put', { arguments: ['colour', value], endorsingOrganizations: ['Org3MSP', 'Org1MSP'] }),
      );
    await expect(put('red')).rejects.toThrow();
    const status = stack.slack.messages('C0OPS').find((m) => JSON.stringify(m.blocks ?? []).includes('job_next_command_0'));
    if (status === undefined) throw new Error('no status message offers a next command');
    expect(stack.lastText(status)).toContain(`Job \`${request.id}\``);
    expect(JSON.stringify(status.blocks)).toContain('Approve govcc 1.0 as org3');
    await stack.click(status, 'job_next_command_0', {
      user: 'U0ADMIN3',
      value: 'testnet/chaincode approve govcc org3 --channel governance',
    });
    const approved = await eventually('org3’s approval job to end', async () =>
      stack.slack
        .messages('C0OPS')
        .map((m) => stack.lastText(m))
        .find((t) => t.startsWith('/fabric chaincode approve govcc org3') && /succeeded\*|failed\*/.test(t)),
    );
    expect(approved).toContain('Org3MSP approved govcc 1.0 (sequence 1) on governance');
    await put('blue');
  }, 240_000);

  it('refuses to add an org the channel has, on the card and in the job', async () => {
    const request = await requested(stack, `channel add-org org2 --channel ${GOVERNANCE}`);
    await cardSays(stack, request.id, ':warning: Org2MSP is already a member of the channel');
    await approveBoth(stack, request);
    expect(await outcome(stack, request.id)).toContain('Org2MSP is already a member of the channel');
  }, 120_000);

  it('publishes org1’s CRL: a certificate revoked at the CA is refused by the peers only once the channel has it', async () => {
    const { config: botConfig } = await loadConfig(env.botConfig);
    const network = botConfig.networks[0];
    const org1Config = network?.orgs.find((o) => o.name === 'org1');
    if (network === undefined || org1Config === undefined) throw new Error('no org1 in the configuration');
    const { ca, registrar } = await caAccess(connectKube(env.kubeconfig), network, org1Config);
    const id = `crl-victim-${Date.now().toString(36)}`;
    const enrolled = await ca.enroll({ id, secret: await ca.register(registrar, { id, type: 'client' }) });
    const victim = { mspId: 'Org1MSP', certPem: enrolled.certPem, keyPem: enrolled.keyPem };
    const peer = org('org1').peer;
    expect(await ledgerHeight(peer, victim, GOVERNANCE)).toBeGreaterThan(0);
    const serial = (await ca.revoke(registrar, { id, reason: 'keycompromise' }))[0]?.toLowerCase().replace(/^0+/, '') ?? '(none)';
    // Revoked at the CA, and still accepted: the peers know only the channel's CRL.
    expect(await ledgerHeight(peer, victim, GOVERNANCE)).toBeGreaterThan(0);

    const request = await requested(stack, `channel crl org1 --channel ${GOVERNANCE}`);
    const planned = await cardSays(stack, request.id, `*Plan* for \`${GOVERNANCE}\``);
    expect(planned).toContain('MSP definition of Org1MSP: Org1MSP: 1 root CA, 0 intermediate CAs, 1 TLS root, no revoked certificates →');
    expect(planned).toContain(serial);
    expect(planned).toContain('Fabric will check `/Channel/Application/Org1MSP/Admins`');
    await stack.click(request.card, 'approval_approve', { user: 'U0ADMIN1', value: request.id });
    expect(await outcome(stack, request.id)).toContain('succeeded');

    const definition = application(await fetchedConfig('org2', GOVERNANCE)).groups.Org1MSP.values.MSP.value.config;
    const published = (definition.revocation_list as string[]).flatMap((b64) => crlSerials(Buffer.from(b64, 'base64').toString('utf8')));
    expect(published).toContain(serial);
    await expect(ledgerHeight(peer, victim, GOVERNANCE)).rejects.toThrow();
    // Another org1 identity is still accepted.
    expect(await ledgerHeight(peer, org('org1').admin, GOVERNANCE)).toBeGreaterThan(0);
  }, 120_000);

  it('changes the batch timeout, approved and signed by the ordering org’s admin, whom the orderer group’s policy counts', async () => {
    const request = await requested(stack, `channel batch --timeout 300ms --channel ${GOVERNANCE}`);
    const planned = await cardSays(stack, request.id, `*Plan* for \`${GOVERNANCE}\``);
    expect(planned).toContain('batch timeout of the orderer: 200ms → 300ms');
    expect(planned).toContain('Fabric will check `/Channel/Orderer/Admins`: MAJORITY of Admins: 1 of OrdererMSP');
    expect(planned).toContain('*ordererorg*');
    const told = stack.ephemeralFor('U0ADMIN1').length;
    await stack.click(request.card, 'approval_approve', { user: 'U0ADMIN1', value: request.id });
    expect(await stack.answerTo('U0ADMIN1', told)).toContain('your organisation (org1) is not asked to approve this');
    await stack.click(request.card, 'approval_approve', { user: 'U0ORDADMIN', value: request.id });
    const said = await outcome(stack, request.id);
    expect(said).toContain('succeeded');
    expect(said).toContain('Signed by*\\nOrdererMSP');
    const ordering = (await fetchedConfig('org2', GOVERNANCE)).channel_group.groups.Orderer.values;
    expect(ordering.BatchTimeout.value.timeout).toBe('300ms');
  }, 120_000);

  it('raises the application capability to V2_5, asking the member orgs the policy counts; read back with the CLI', async () => {
    const request = await requested(stack, `channel capability application V2_5 --channel ${GOVERNANCE}`);
    const planned = await cardSays(stack, request.id, `*Plan* for \`${GOVERNANCE}\``);
    expect(planned).toContain('capabilities of the application: V2_0 → V2_5');
    expect(planned).toContain('Fabric will check `/Channel/Application/Admins`: MAJORITY of Admins: 2 of Org1MSP, Org2MSP, Org3MSP');
    expect(planned).toContain('a majority (2 of 3) of *org1*, *org2*, *org3*');
    await approveBoth(stack, request);
    expect(await outcome(stack, request.id)).toContain('succeeded');
    const capabilities = application(await fetchedConfig('org2', GOVERNANCE)).values.Capabilities.value.capabilities;
    expect(Object.keys(capabilities)).toEqual(['V2_5']);
  }, 120_000);

  it('removes org3 and org2 (MAJORITY of the members each time), and refuses to remove the last org', async () => {
    for (const [org, approvers] of [
      ['org3', ['U0ADMIN1', 'U0ADMIN2']],
      ['org2', ['U0ADMIN1', 'U0ADMIN2']],
    ] as const) {
      const request = await requested(stack, `channel remove-org ${org} --channel ${GOVERNANCE}`);
      await cardSays(stack, request.id, `*Plan* for \`${GOVERNANCE}\``);
      for (const user of approvers) await stack.click(request.card, 'approval_approve', { user, value: request.id });
      expect(await outcome(stack, request.id)).toContain('succeeded');
    }
    expect(await members()).toEqual(['Org1MSP']);
    const last = await requested(stack, `channel remove-org org1 --channel ${GOVERNANCE}`);
    await cardSays(stack, last.id, ":warning: Org1MSP is the channel's last org");
    await approveBoth(stack, last);
    expect(await outcome(stack, last.id)).toContain('failed');
    expect(await members()).toEqual(['Org1MSP']);
  }, 180_000);

  /** The channel's consenters as the CLI reads them (peer channel fetch config, configtxlator), host:port each. */
  const consenters = async (): Promise<string[]> => {
    const type = (await fetchedConfig('org1', GOVERNANCE)).channel_group.groups.Orderer.values.ConsensusType.value;
    return (type.metadata.consenters as { host: string; port: number }[]).map((c) => `${c.host}:${c.port}`);
  };
  /** The ordering org's client endpoints as the CLI reads them. */
  const endpoints = async (): Promise<string[]> =>
    (await fetchedConfig('org1', GOVERNANCE)).channel_group.groups.Orderer.groups.OrdererMSP.values.Endpoints.value.addresses;
  /** osnadmin against an orderer's admin endpoint, as the ordering org's admin. */
  const osnadmin = (orderer: (typeof env.fabric.orderers)[number], args: string[]) => {
    const { cert, key, ca } = env.fabric.ordererAdminTls;
    return run(binary('osnadmin'), [...args, '-o', orderer.admin, '--ca-file', ca, '--client-cert', cert, '--client-key', key]);
  };
  /** What `osnadmin channel list` says of the orderer's place on the channel: consenter or follower. */
  const relation = async (orderer: (typeof env.fabric.orderers)[number], channel = GOVERNANCE): Promise<string> => {
    const { stdout } = await osnadmin(orderer, ['channel', 'list', '--channelID', channel]);
    return (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { consensusRelation: string }).consensusRelation;
  };
  const [orderer0, orderer1, orderer2] = env.fabric.orderers as [OrdererDetails, OrdererDetails, OrdererDetails];

  it('removes the consenter the bot submits to first and adds it back while org1 submits transactions: none lost; the CLI shows the set at each step', async () => {
    const all = [orderer0, orderer1, orderer2].map((o) => o.address);
    expect(await consenters()).toEqual(all);
    expect(await endpoints()).toEqual(all);
    // The load: org1 approves a new chaincode definition after another (a transaction ordered and
    // committed each), submitting again after a failure up to twice, as a client does.
    const o1 = org('org1');
    let running = true;
    const outcomes: { name: string; tries: number; ok: boolean }[] = [];
    const load = (async () => {
      for (let i = 0; running; i++) {
        const name = `load${i}`;
        let tries = 0;
        let ok = false;
        while (!ok && tries < 3) {
          tries++;
          ok = await withGateway(
            o1.peer,
            o1.admin,
            (g) => approveForMyOrg(g, { channel: GOVERNANCE, name, version: '1', sequence: 1 }, `${name}:00`, 'Org1MSP'),
            // A transaction in flight when a consenter leaves may never be ordered (removing the
            // Raft leader dropped the one it held for its next block, in every trial): the client
            // gives up waiting for its commit after 5 s and submits it again.
            { commitTimeoutMs: 5_000 },
          ).then(
            () => true,
            () => false,
          );
        }
        outcomes.push({ name, tries, ok });
      }
    })();
    try {
      const removal = await requested(stack, `channel consenter remove orderer0 --channel ${GOVERNANCE}`);
      const planned = await cardSays(stack, removal.id, `*Plan* for \`${GOVERNANCE}\``);
      expect(planned).toContain(
        `consensus of the orderer: Raft, consenters ${all.join(', ')} → Raft, consenters ${all.slice(1).join(', ')}`,
      );
      expect(planned).toContain(
        'Warning: fault tolerance drops from 1 to 0 failed orderers: with 2 consenters, any one down stops the channel',
      );
      expect(planned).toContain('Fabric will check `/Channel/Orderer/Admins`');
      await stack.click(removal.card, 'approval_approve', { user: 'U0ORDADMIN', value: removal.id });
      expect(await outcome(stack, removal.id)).toContain('succeeded');
      expect(await consenters()).toEqual(all.slice(1));
      // It notices once it has had no leader for EvictionSuspicion (3 s here), which Fabric checks
      // every 10 s: 10 to 20 s, then it pulls the blocks it lacks.
      await eventually('orderer0 to follow governance', async () => ((await relation(orderer0)) === 'follower' ? true : undefined), 60_000);

      const addition = await requested(stack, `channel consenter add orderer0 --channel ${GOVERNANCE}`);
      await cardSays(stack, addition.id, `*Plan* for \`${GOVERNANCE}\``);
      await stack.click(addition.card, 'approval_approve', { user: 'U0ORDADMIN', value: addition.id });
      const added = await outcome(stack, addition.id);
      expect(added).toContain('succeeded');
      expect(added).toMatch(/orderer0\*\\nconsenter, at height \d+/);
      // orderer0, first in the bot's list, only followed the channel then: the update went to the next.
      expect(added).toContain(`accepted by ${orderer1.address}`);
      expect(await consenters()).toEqual([...all.slice(1), orderer0.address]);
      expect(await relation(orderer0)).toBe('consenter');
      // Clients are sent to it only once it has caught up, in a change of its own.
      expect(await endpoints()).toEqual(all.slice(1));
      const advert = await requested(stack, `channel consenter advertise orderer0 --channel ${GOVERNANCE}`);
      expect(await cardSays(stack, advert.id, `*Plan* for \`${GOVERNANCE}\``)).toContain(
        `orderer endpoints of OrdererMSP: ${all.slice(1).join(', ')} → ${[...all.slice(1), orderer0.address].join(', ')}`,
      );
      await stack.click(advert.card, 'approval_approve', { user: 'U0ORDADMIN', value: advert.id });
      expect(await outcome(stack, advert.id)).toContain('succeeded');
      expect(await endpoints()).toEqual([...all.slice(1), orderer0.address]);
      const afterwards = outcomes.length;
      await eventually('a transaction ordered by the restored set', async () => (outcomes.length > afterwards ? true : undefined), 30_000);
    } finally {
      running = false;
      await load;
    }
    process.stdout.write(
      `consenter removed and added back under load: ${outcomes.length} transactions, ${outcomes.filter((o) => o.tries > 1).length} submitted again\n`,
    );
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    // Each approval the client was told of is on the ledger.
    const approved = await withGateway(o1.peer, o1.admin, (g) =>
      Promise.all(outcomes.map((o) => commitReadiness(g, { channel: GOVERNANCE, name: o.name, version: '1', sequence: 1 }))),
    );
    expect(approved.every((r) => r.Org1MSP === true)).toBe(true);
  }, 240_000);

  it('refuses to remove a consenter when one of those left does not answer (the channel would lose quorum)', async () => {
    process.kill(orderer2.pid, 'SIGSTOP');
    try {
      const request = await requested(stack, `channel consenter remove orderer1 --channel ${GOVERNANCE}`);
      await cardSays(
        stack,
        request.id,
        `:warning: the channel would lose quorum: of the 2 consenters it would have, ${orderer2.address} does not answer, and Raft needs 2 to order`,
      );
    } finally {
      process.kill(orderer2.pid, 'SIGCONT');
    }
    expect(await consenters()).toEqual([orderer1, orderer2, orderer0].map((o) => o.address));
  }, 120_000);

  it('creates channel ops2 for org1 and org2: agreed by both and the ordering org; all three orderers and both peers on it', async () => {
    const request = await requested(stack, 'channel create ops2 org1 org2');
    const planned = await cardSays(stack, request.id, '*Plan* for `ops2` at config sequence 0');
    expect(planned).toContain('new channel ops2, members Org1MSP, Org2MSP');
    expect(planned).toContain('joined by orderer0, orderer1, orderer2 and by org1');
    expect(planned).toContain('Org1MSP, Org2MSP, OrdererMSP agree here');
    for (const user of ['U0ADMIN1', 'U0ADMIN2']) await stack.click(request.card, 'approval_approve', { user, value: request.id });
    // Two of the three: not yet.
    expect(JSON.stringify(cardOf(stack, request.id)?.blocks)).toContain('Approve');
    await stack.click(request.card, 'approval_approve', { user: 'U0ORDADMIN', value: request.id });
    const said = await outcome(stack, request.id);
    expect(said).toContain('succeeded');
    for (const o of env.fabric.orderers) {
      const { stdout } = await osnadmin(o, ['channel', 'list']);
      expect(JSON.parse(stdout.slice(stdout.indexOf('{'))).channels.map((c: { name: string }) => c.name)).toContain('ops2');
    }
    for (const o of ['org1', 'org2']) expect(await peerCli(o, ['channel', 'list'])).toContain('ops2');
    // Its config is the template's ordering with the two members, as the CLI reads it from an orderer.
    const config = await fetchedConfig('org1', 'ops2');
    expect(Object.keys(application(config).groups).sort()).toEqual(['Org1MSP', 'Org2MSP']);
    expect(config.channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters).toHaveLength(3);

    const again = await requested(stack, 'channel create ops2 org1 org2');
    await cardSays(stack, again.id, ':warning: ops2 exists already on orderer0 (consenter');

    // The configuration does not list ops2, and the channel commands take it all the same.
    expect(said).toContain('the channel commands take `--channel ops2`');
    const batch = await requested(stack, 'channel batch --timeout 250ms --channel ops2');
    expect(await cardSays(stack, batch.id, '*Plan* for `ops2`')).toContain('batch timeout of the orderer: 200ms → 250ms');
    await stack.click(batch.card, 'approval_approve', { user: 'U0ORDADMIN', value: batch.id });
    expect(await outcome(stack, batch.id)).toContain('succeeded');
    expect((await fetchedConfig('org2', 'ops2')).channel_group.groups.Orderer.values.BatchTimeout.value.timeout).toBe('250ms');
  }, 240_000);

  it('adds back to ops2 a consenter that was taken off the channel: the bot joins it with the config block that names it', async () => {
    const removal = await requested(stack, 'channel consenter remove orderer2 --channel ops2');
    await cardSays(stack, removal.id, '*Plan* for `ops2`');
    await stack.click(removal.card, 'approval_approve', { user: 'U0ORDADMIN', value: removal.id });
    expect(await outcome(stack, removal.id)).toContain('succeeded');
    await osnadmin(orderer2, ['channel', 'remove', '--channelID', 'ops2']);
    expect((await osnadmin(orderer2, ['channel', 'list'])).stdout).not.toContain('"ops2"');

    const addition = await requested(stack, 'channel consenter add orderer2 --channel ops2');
    await cardSays(stack, addition.id, '*Plan* for `ops2`');
    await stack.click(addition.card, 'approval_approve', { user: 'U0ORDADMIN', value: addition.id });
    const added = await outcome(stack, addition.id);
    expect(added).toContain('succeeded');
    expect(added).toMatch(/orderer2: joined with config block \d+ \(consenter\)/);
    expect(added).toMatch(/orderer2\*\\nconsenter, at height \d+/);
    expect(await relation(orderer2, 'ops2')).toBe('consenter');
  }, 180_000);

  it('refuses an orderer the network does not list, before anything is requested', async () => {
    const before = stack.ephemeralFor('U0ALICE').length;
    await stack.command(`channel consenter add orderer9 --channel ${GOVERNANCE}`, { user: 'U0ALICE' });
    expect(await stack.answerTo('U0ALICE', before)).toBe(
      'Network testnet has no orderer `orderer9`; its orderers are `orderer0`, `orderer1`, `orderer2`.',
    );
  });
});

function slackStack(config: string, moreUsers: string[] = []): Promise<Stack> {
  return startStack({
    channels: ['C0OPS', 'C0ALERTS'],
    users: ['U0ALICE', 'U0ADMIN1', 'U0ADMIN2', ...moreUsers],
    config,
    env: { KUBECONFIG: env.kubeconfig },
    workers: 1,
    bot: 'bot',
  });
}

type Card = Awaited<ReturnType<typeof requested>>;

/** Alice asks; the request's id and its approval card. */
async function requested(stack: Stack, text: string) {
  const before = stack.ephemeralFor('U0ALICE').length;
  await stack.command(text, { user: 'U0ALICE' });
  const answer = await stack.answerTo('U0ALICE', before);
  const id = /request `([a-z0-9]+)`/.exec(answer)?.[1];
  if (id === undefined) throw new Error(`not taken as a request: ${answer}`);
  const card = await eventually('the approval card', async () => cardOf(stack, id));
  return { id, card };
}

const cardOf = (stack: Stack, id: string) =>
  stack.slack.messages('C0OPS').find((m) => JSON.stringify(m.blocks ?? []).includes(`Request \`${id}\``));

/** The card's text once it contains `text`. */
const cardSays = (stack: Stack, id: string, text: string): Promise<string> =>
  eventually(
    `the card of ${id} to say ${text}`,
    async () => {
      const shown = JSON.stringify(cardOf(stack, id)?.blocks ?? []);
      return shown.includes(text.replaceAll('"', '\\"')) ? shown : undefined;
    },
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the card says ${JSON.stringify(cardOf(stack, id)?.blocks ?? [])}`);
  });

async function approveBoth(stack: Stack, { id, card }: Card): Promise<void> {
  for (const user of ['U0ADMIN1', 'U0ADMIN2']) await stack.click(card, 'approval_approve', { user, value: id });
}

/** The job's final status message. */
async function outcome(stack: Stack, id: string): Promise<string> {
  return eventually(
    'the job to end',
    async () =>
      stack.slack
        .messages('C0OPS')
        .filter((x) => !x.ephemeral && !x.text?.startsWith('Approval'))
        .map((x) => stack.lastText(x))
        .find((x) => x.includes(`Job \`${id}\``) && /succeeded\*|failed\*/.test(x)),
    60_000,
  ).catch((err: Error) => {
    const seen = stack.slack.messages('C0OPS').map((m) => stack.lastText(m).slice(0, 600));
    throw new Error(`${err.message}; C0OPS has:\n${seen.join('\n')}`);
  });
}
