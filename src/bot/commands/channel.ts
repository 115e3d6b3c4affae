import * as kinds from '../../jobs/catalog/kinds.js';
import { orgName } from './arg-types.js';
import { orgArgument, submitted, type CommandSpec } from './types.js';

const channelFlag = {
  name: 'channel',
  value: { placeholder: 'CHANNEL', type: { kind: 'string', pattern: /^[a-z][a-z0-9.-]{0,248}$/, hint: 'a Fabric channel name' } },
  help: 'the channel (default: the network’s first)',
} as const;

const channelParam = (args: { has(name: string): boolean; string(name: string): string }) =>
  args.has('channel') ? { channel: args.string('channel') } : {};

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
  summary: 'Point a channel resource’s ACL at a policy: a config update planned, signed by the approving orgs’ admins, submitted',
  args: [
    { name: 'RESOURCE', type: { kind: 'string', pattern: kinds.ACL_RESOURCE, hint: 'an ACL resource such as qscc/GetBlockByNumber' } },
    { name: 'POLICY', type: { kind: 'string', pattern: kinds.POLICY_PATH, hint: 'a policy path such as /Channel/Application/Writers' } },
  ],
  flags: [channelFlag],
  details:
    "Each approving admin's org signs the update with its admin identity; it is submitted only if those signatures satisfy " +
    "Fabric's mod_policy (for ACLs, MAJORITY of the application orgs' Admins), and refused if the channel changed meanwhile.",
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
