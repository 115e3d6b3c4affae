import * as kinds from '../../jobs/catalog/kinds.js';
import { channelFlag, channelNameType, channelParam, ordererName, orgName } from './arg-types.js';
import { renderChannelSummary } from '../render/channel.js';
import { ephemeral, orgArgument, submitted, type CommandContext, type CommandSpec, type Reply } from './types.js';

const peerAddresses = new RegExp(`^${kinds.PEER_ADDRESS.source.slice(1, -1)}(?: ${kinds.PEER_ADDRESS.source.slice(1, -1)}){0,15}$`);

export const channelAnchors: CommandSpec = {
  path: ['channel', 'anchors'],
  summary: 'Set an org’s anchor peers on a channel: a config update planned on the card, signed by that org’s admin, submitted',
  args: [
    { name: 'ORG', type: orgName },
    {
      name: 'PEERS',
      type: { kind: 'string', pattern: peerAddresses, hint: 'one to 16 peer addresses host:port, separated by spaces' },
      rest: true,
    },
  ],
  flags: [channelFlag],
  details:
    "The org's anchor peers are what other orgs' peers gossip with. Fabric asks the org's own Admins to sign " +
    '(its group’s mod_policy), so the card waits for an admin of that org.',
  access: 'operator',
  approval: { orgs: 'requester', rule: 'ALL', approverRole: 'admin' },
  target: orgArgument('ORG'),
  async run(ctx, args) {
    const params = { org: args.string('ORG'), peers: args.string('PEERS').split(' '), ...channelParam(args) };
    return submitted(await ctx.submit(kinds.channelAnchors, params), `set ${params.org}'s anchor peers`);
  },
};

export const channelAcl: CommandSpec = {
  path: ['channel', 'acl'],
  summary:
    'Point a channel resource’s ACL at a policy: a config update planned on the card, signed by the approving orgs’ admins, submitted',
  args: [
    { name: 'RESOURCE', type: { kind: 'string', pattern: kinds.ACL_RESOURCE, hint: 'an ACL resource such as qscc/GetBlockByNumber' } },
    { name: 'POLICY', type: { kind: 'string', pattern: kinds.POLICY_PATH, hint: 'a policy path such as /Channel/Application/Writers' } },
  ],
  flags: [channelFlag],
  details:
    'The approval card shows the plan: the change, the config sequence it is pinned to and the policy Fabric will check ' +
    "(for ACLs, MAJORITY of the application orgs' Admins). Each admin's Approve is their org's signature; the update is " +
    'submitted only if the signatures satisfy that policy, and refused (with a Request again button) if the channel moved meanwhile.',
  access: 'operator',
  approval: { orgs: 'all', rule: 'MAJORITY', approverRole: 'admin' },
  async run(ctx, args) {
    const params = {
      resource: args.string('RESOURCE'),
      policy: args.string('POLICY'),
      ...channelParam(args),
    };
    return submitted(await ctx.submit(kinds.channelAcl, params), `set ACL ${params.resource}`);
  },
};

/** The org must be one of the network's (its CA and peers are in the configuration), though not of the requester's own. */
function unknownOrg(ctx: CommandContext, org: string): Reply | undefined {
  const orgs = ctx.network?.orgs ?? [];
  if (orgs.some((o) => o.name === org)) return undefined;
  const text = `Network ${ctx.network?.name ?? ''} has no org \`${org}\`; its orgs are ${orgs.map((o) => `\`${o.name}\``).join(', ')}.`;
  return ephemeral({ text });
}

export const channelAddOrg: CommandSpec = {
  path: ['channel', 'add-org'],
  summary: 'Add one of the network’s orgs to a channel: its MSP from its CA, signed by the members’ admins; then its peers join',
  args: [{ name: 'ORG', type: orgName }],
  flags: [channelFlag],
  details:
    "The org's definition (its CA's root and intermediates, its peers' TLS root, NodeOUs, the usual Readers, Writers, Admins and " +
    "Endorsement policies) is built from its CA. Fabric asks the channel's /Channel/Application/Admins (by default a MAJORITY of the " +
    "members' admins); a new org's own signature does not count. Once the channel has it, its peers join and catch up.",
  access: 'operator',
  approval: { orgs: 'all', rule: 'MAJORITY', approverRole: 'admin' },
  async run(ctx, args) {
    const org = args.string('ORG');
    return unknownOrg(ctx, org) ?? submitted(await ctx.submit(kinds.channelAddOrg, { org, ...channelParam(args) }), `add ${org}`);
  },
};

export const channelRemoveOrg: CommandSpec = {
  path: ['channel', 'remove-org'],
  summary: 'Remove an org from a channel (never its last): signed by the members’ admins',
  args: [{ name: 'ORG', type: orgName }],
  flags: [channelFlag],
  access: 'operator',
  approval: { orgs: 'all', rule: 'MAJORITY', approverRole: 'admin' },
  async run(ctx, args) {
    const org = args.string('ORG');
    return unknownOrg(ctx, org) ?? submitted(await ctx.submit(kinds.channelRemoveOrg, { org, ...channelParam(args) }), `remove ${org}`);
  },
};

export const channelCrl: CommandSpec = {
  path: ['channel', 'crl'],
  summary:
    'Publish an org’s current CRL from its CA into a channel, so that peers refuse its revoked certificates: signed by that org’s admin',
  args: [{ name: 'ORG', type: orgName }],
  flags: [channelFlag],
  details:
    'Revoking a certificate at the CA (`cert revoke`) does not stop peers from accepting it: they check identities against ' +
    "the revocation list in the channel's copy of the org's MSP. This puts the CA's current CRL there (the org's Admins sign).",
  access: 'operator',
  approval: { orgs: 'requester', rule: 'ALL', approverRole: 'admin' },
  target: orgArgument('ORG'),
  async run(ctx, args) {
    const params = { org: args.string('ORG'), ...channelParam(args) };
    return submitted(await ctx.submit(kinds.channelCrl, params), `publish ${params.org}'s CRL`);
  },
};

export const channelShow: CommandSpec = {
  path: ['channel', 'show'],
  summary: 'A channel’s configuration as the peers have it: members and anchor peers, who decides, ordering, ACLs, sequence',
  flags: [channelFlag],
  access: 'viewer',
  async run(ctx, args) {
    const summary = await ctx.services.queries.ask('channel-config', ctx.network?.name ?? '', channelParam(args));
    return ephemeral(renderChannelSummary(summary));
  },
};

export const channelBatch: CommandSpec = {
  path: ['channel', 'batch'],
  summary: 'Set how the orderers cut a channel’s blocks (batch timeout, maximum of transactions): signed by the ordering orgs’ admins',
  flags: [
    {
      name: 'timeout',
      value: { placeholder: 'DURATION', type: { kind: 'string', pattern: kinds.FABRIC_DURATION, hint: 'a duration such as 2s or 500ms' } },
      help: 'the longest an orderer waits before cutting a block',
    },
    {
      name: 'max-messages',
      value: { placeholder: 'N', type: { kind: 'int', min: 1, max: 100_000 } },
      help: 'the most transactions a block holds',
    },
    channelFlag,
  ],
  details:
    "The orderer group's values are changed under its Admins policy, which counts the ordering orgs' admins " +
    '(networks[].ordererOrgs), so the card asks them.',
  access: 'operator',
  approval: { orgs: 'orderers', rule: 'MAJORITY', approverRole: 'admin' },
  async run(ctx, args) {
    const timeout = args.optionalString('timeout');
    const maxMessages = args.optionalInt('max-messages');
    if (timeout === undefined && maxMessages === undefined) return ephemeral({ text: 'Give --timeout, --max-messages, or both.' });
    const params = {
      ...(timeout === undefined ? {} : { timeout }),
      ...(maxMessages === undefined ? {} : { maxMessages }),
      ...channelParam(args),
    };
    return submitted(await ctx.submit(kinds.channelBatch, params), 'change the batch values');
  },
};

export const channelCapability: CommandSpec = {
  path: ['channel', 'capability'],
  summary: 'Raise a channel’s capability level (channel, orderer or application group): signed as that group’s Admins policy asks',
  args: [
    { name: 'GROUP', type: { kind: 'enum', values: ['channel', 'orderer', 'application'] } },
    { name: 'LEVEL', type: { kind: 'enum', values: ['V2_0', 'V2_5', 'V3_0'] } },
  ],
  flags: [channelFlag],
  details:
    'A level names the Fabric release every node of the channel must run: a peer or orderer older than it stops ' +
    'processing the channel. Levels: channel V2_0, V3_0; orderer V2_0; application V2_0, V2_5.',
  access: 'operator',
  approval: { orgs: 'signers', rule: 'MAJORITY', approverRole: 'admin' },
  async run(ctx, args) {
    const group = args.string('GROUP') as 'channel' | 'orderer' | 'application';
    const level = args.string('LEVEL');
    if (!(kinds.CAPABILITY_LEVELS[group] as readonly string[]).includes(level))
      return ephemeral({ text: `${group} capability levels are ${kinds.CAPABILITY_LEVELS[group].join(', ')}.` });
    return submitted(
      await ctx.submit(kinds.channelCapability, { group, level, ...channelParam(args) }),
      `set the ${group} capability to ${level}`,
    );
  },
};

export const channelConsenter: CommandSpec = {
  path: ['channel', 'consenter'],
  summary: 'Add an orderer to a channel’s Raft set, remove one, or advertise one to clients: signed by the ordering orgs’ admins',
  args: [
    { name: 'ACTION', type: { kind: 'enum', values: kinds.CONSENTER_ACTIONS } },
    { name: 'ORDERER', type: ordererName },
  ],
  flags: [channelFlag],
  details:
    'ORDERER is one of the network’s orderers (networks[].orderers). `add` makes its address and the TLS certificate it ' +
    'presents a consenter, joins it to the channel with the config block that names it when it is not on it (through its ' +
    'adminEndpoint), and waits until it has the channel’s blocks. One removed but still on the channel follows it once it ' +
    'notices, after the orderer’s Consensus.EvictionSuspicion (10 minutes by default); take it off the channel first ' +
    '(osnadmin channel remove) to add it back at once. `advertise` then adds it to the endpoints clients submit to, as Fabric’s guide does ' +
    'once a new consenter has caught up. `remove` takes it out of both. A change that would leave fewer answering ' +
    'consenters than Raft’s quorum is refused; one that lowers the fault tolerance says so on the card.',
  access: 'operator',
  approval: { orgs: 'orderers', rule: 'MAJORITY', approverRole: 'admin' },
  async run(ctx, args) {
    const action = args.string('ACTION') as (typeof kinds.CONSENTER_ACTIONS)[number];
    const orderer = args.string('ORDERER');
    const known = ctx.network?.orderers ?? [];
    if (!known.some((o) => o.name === orderer))
      return ephemeral({
        text: `Network ${ctx.network?.name ?? ''} has no orderer \`${orderer}\`; its orderers are ${known.map((o) => `\`${o.name}\``).join(', ') || 'not configured (networks[].orderers)'}.`,
      });
    const what = {
      add: `add ${orderer} to the Raft set`,
      remove: `remove ${orderer} from the Raft set`,
      advertise: `advertise ${orderer} to clients`,
    };
    return submitted(await ctx.submit(kinds.channelConsenter, { action, orderer, ...channelParam(args) }), what[action]);
  },
};

const orgNames = new RegExp(`^${orgName.pattern.source.slice(1, -1)}(?: ${orgName.pattern.source.slice(1, -1)}){0,15}$`);

export const channelCreate: CommandSpec = {
  path: ['channel', 'create'],
  summary:
    'Create a channel for some of the network’s orgs: agreed by each of them and the ordering orgs, joined by the orderers and their peers',
  args: [
    { name: 'NAME', type: channelNameType },
    { name: 'ORGS', type: { kind: 'string', pattern: orgNames, hint: 'one to 16 org names, separated by spaces' }, rest: true },
  ],
  details:
    'The genesis block takes the ordering (Raft set, batch values), policies, capabilities and ACLs of the network’s first ' +
    'channel, with ORGS as its members. Each orderer with an adminEndpoint joins it through the channel participation API ' +
    'as the ordering org’s admin (its TLS client certificate); each member org’s peers join it as their admin. The other channel ' +
    'commands then take it with --channel, as they take those networks[].fabricChannels lists.',
  access: 'operator',
  approval: { orgs: 'signers', rule: 'ALL', approverRole: 'admin' },
  async run(ctx, args) {
    const name = args.string('NAME');
    const orgs = [...new Set(args.string('ORGS').split(' '))];
    const unknown = orgs.map((org) => unknownOrg(ctx, org)).find((reply) => reply !== undefined);
    if (unknown !== undefined) return unknown;
    if (ctx.network?.fabricChannels.includes(name))
      return ephemeral({ text: `\`${name}\` is one of network ${ctx.network.name}'s channels already.` });
    return submitted(await ctx.submit(kinds.channelCreate, { name, orgs }), `create channel ${name} for ${orgs.join(', ')}`);
  },
};
