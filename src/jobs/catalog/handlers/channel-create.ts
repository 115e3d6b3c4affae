import * as kinds from '../kinds.js';
import type { common } from '@hyperledger/fabric-protos';
import type { NetworkConfig } from '../../../config/model.js';
import { joinPeer } from '../../../fabric/channel.js';
import { channelConfig } from '../../../fabric/channel-config.js';
import { applicationOrgGroups, batchOf, consentersOf, consenterAddress, ordererEndpointsOf } from '../../../fabric/config-edits.js';
import { genesisBlockOf, newChannelConfig, type MemberGroup } from '../../../fabric/genesis.js';
import { applicationOrgGroup } from '../../../fabric/org-definition.js';
import { joinOrderer, ordererChannel } from '../../../fabric/participation.js';
import { PermanentError } from '../../engine/errors.js';
import type { JobResult } from '../../engine/types.js';
import type { JobContext, JobHandler } from '../../engine/worker.js';
import type { ApprovalRequest, ChannelPlan } from '../../services/approvals.js';
import { ordererAdmins, orgPeersAccess } from '../../services/fabric-access.js';
import { networkNamed, orgNamed } from '../../services/platform.js';
import { orgAccess, orgDefinition, parsed } from './channel-changes.js';

/**
 * A new channel: its genesis block made from the network's first channel with the requested orgs
 * as members, joined on each orderer with an admin endpoint, then by the members' peers. The card
 * shows what the channel will be; every member org and ordering org agrees there.
 */

function templateOf(network: NetworkConfig): string {
  const [template] = network.fabricChannels;
  if (template === undefined)
    throw new PermanentError(`network ${network.name} lists no fabricChannels to take the new channel's ordering and policies from`);
  return template;
}

const readTemplate = async (ctx: JobContext, network: NetworkConfig): Promise<common.Config> => {
  const reader = await orgAccess(ctx, network);
  return channelConfig(reader.peer, reader.admin, templateOf(network));
};

/** The application org groups the new channel starts with: the template's own where it has the org, else one made from the org's CA. */
async function memberGroups(ctx: JobContext, network: NetworkConfig, template: common.Config, orgs: string[]): Promise<MemberGroup[]> {
  const existing = applicationOrgGroups(template);
  const members: MemberGroup[] = [];
  for (const name of orgs) {
    const org = orgNamed(network, name);
    const found = existing.find((m) => m.mspId === org.mspId);
    members.push(found ?? { key: org.mspId, group: applicationOrgGroup(await orgDefinition(ctx, network, org)) });
  }
  return members;
}

/** The creation plan the card shows: the channel to be, who joins it, and who must agree (all members and ordering orgs). */
export async function creationPlan(ctx: JobContext, approval: ApprovalRequest): Promise<ChannelPlan> {
  const params = parsed(kinds.channelCreate, approval.params);
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  const template = await ctx.prepare(`Read ${templateOf(network)}'s config`, () => readTemplate(ctx, network));
  const admins = await ctx.prepare('Read the orderers’ admin endpoints', () => ordererAdmins(ctx.platform.kube(), network));
  const members = params.orgs.map((name) => orgNamed(network, name).mspId);
  const ordering = [...ordererEndpointsOf(template).keys()].filter((m) => network.ordererOrgs.some((o) => o.mspId === m));
  const signers = [...members, ...ordering];
  const base: ChannelPlan = { channel: params.name, sequence: 0, madeAt: Date.now(), update: '', changes: [], policies: [], signers };
  const [first] = admins;
  if (first === undefined)
    return { ...base, problem: `no orderer of network ${network.name} has an adminEndpoint to join it to the channel` };
  const existing = await ordererChannel(first, params.name);
  if (existing !== undefined)
    return {
      ...base,
      problem: `${params.name} exists already on ${first.name} (${existing.consensusRelation}, height ${existing.height})`,
    };
  const { timeout, maxMessages } = batchOf(template);
  const changes = [
    `new channel ${params.name}, members ${members.join(', ')}`,
    `ordering as on ${templateOf(network)}: Raft, consenters ${consentersOf(template).map(consenterAddress).join(', ')}; batch timeout ${timeout}, ${maxMessages} messages`,
    `policies, capabilities and ACLs as on ${templateOf(network)}`,
    `joined by ${admins.map((a) => a.name).join(', ')} and by ${params.orgs.map((o) => `${o}'s peers`).join(', ')}`,
  ];
  return { ...base, changes, demand: { msps: signers, count: signers.length } };
}

/** Creates the channel: one genesis block (kept in the job, so a re-run joins with the same block), the orderers, the peers. */
export const channelCreate: JobHandler<typeof kinds.channelCreate> = async (ctx, params): Promise<JobResult> => {
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  const approval = params.approvalId === undefined ? undefined : await ctx.approvals.get(params.approvalId);
  if (approval?.plan?.problem !== undefined) throw new PermanentError(approval.plan.problem);
  const block = await ctx.step({ key: 'make-the-genesis-block', title: 'Make the genesis block' }, async (note) => {
    const template = await readTemplate(ctx, network);
    const config = newChannelConfig(template, await memberGroups(ctx, network, template, params.orgs));
    const bytes = genesisBlockOf(params.name, config);
    await note(`${params.name}: block 0 of ${bytes.length} bytes, from ${templateOf(network)}'s ordering and policies`);
    return Buffer.from(bytes).toString('base64');
  });
  const bytes = new Uint8Array(Buffer.from(block, 'base64'));
  const orderers = await ctx.step({ key: 'join-the-orderers', title: 'Join the orderers' }, async (note) => {
    const admins = await ordererAdmins(ctx.platform.kube(), network);
    if (admins.length === 0) throw new PermanentError(`no orderer of network ${network.name} has an adminEndpoint`);
    const joined: string[] = [];
    for (const admin of admins) {
      const r = await joinOrderer(admin, params.name, bytes);
      await note(`${admin.name}: ${r.joined ? 'joined' : 'on it already'}, ${r.consensusRelation}`);
      joined.push(`${admin.name} (${r.consensusRelation})`);
    }
    return joined;
  });
  const peers = await ctx.step({ key: 'join-the-peers', title: "Join the members' peers" }, async (note) => {
    const joined: string[] = [];
    for (const name of params.orgs) {
      const access = await orgPeersAccess(ctx.platform.kube(), network, orgNamed(network, name));
      for (const peer of access.peers) {
        const r = await joinPeer(peer, access.admin, bytes);
        await note(`${peer.address}: ${r === 'joined' ? 'joined' : 'on it already'}`);
        joined.push(peer.address);
      }
    }
    return joined;
  });
  await ctx.platform.createdChannels.add(network.name, params.name);
  return {
    summary: `channel ${params.name} created for ${params.orgs.join(', ')}`,
    fields: [
      { label: 'Orderers', value: orderers.join(', ') },
      { label: 'Peers', value: peers.join(', ') },
      { label: 'Next', value: `the channel commands take \`--channel ${params.name}\`` },
    ],
  };
};
