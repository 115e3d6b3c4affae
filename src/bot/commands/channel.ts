import * as kinds from '../../jobs/catalog/kinds.js';
import { submitted, type CommandSpec } from './types.js';

export const channelAcl: CommandSpec = {
  path: ['channel', 'acl'],
  summary: 'Point a channel resource’s ACL at a policy: a config update planned, signed by the approving orgs’ admins, submitted',
  args: [
    { name: 'RESOURCE', type: { kind: 'string', pattern: kinds.ACL_RESOURCE, hint: 'an ACL resource such as qscc/GetBlockByNumber' } },
    { name: 'POLICY', type: { kind: 'string', pattern: kinds.POLICY_PATH, hint: 'a policy path such as /Channel/Application/Writers' } },
  ],
  flags: [
    {
      name: 'channel',
      value: { placeholder: 'CHANNEL', type: { kind: 'string', pattern: /^[a-z][a-z0-9.-]{0,248}$/, hint: 'a Fabric channel name' } },
      help: 'the channel (default: the network’s first)',
    },
  ],
  details:
    "Each approving admin's org signs the update with its admin identity; it is submitted only if those signatures satisfy " +
    "Fabric's mod_policy (for ACLs, MAJORITY of the application orgs' Admins), and refused if the channel changed meanwhile.",
  access: 'operator',
  approval: { orgs: 'all', rule: 'MAJORITY', approverRole: 'admin' },
  async run(ctx, args) {
    const params = {
      resource: args.string('RESOURCE'),
      policy: args.string('POLICY'),
      ...(args.has('channel') ? { channel: args.string('channel') } : {}),
    };
    return submitted(await ctx.submit(kinds.channelAcl, params), `set ACL ${params.resource}`);
  },
};
