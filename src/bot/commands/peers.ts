import { orgName } from './arg-types.js';
import * as kinds from '../../jobs/catalog/kinds.js';
import { orgArgument, submitted, type CommandSpec } from './types.js';

export const peersScale: CommandSpec = {
  path: ['peers', 'scale'],
  summary: "Scale an organisation's peers and wait until all are Ready",
  args: [
    { name: 'ORG', type: orgName },
    { name: 'REPLICAS', type: { kind: 'int', min: 1, max: 50 } },
  ],
  flags: [
    {
      name: 'timeout',
      value: { placeholder: 'SECONDS', type: { kind: 'int', min: 10, max: 3600 } },
      help: 'how long to wait for readiness (default 300)',
    },
  ],
  access: 'operator',
  approval: { orgs: 'requester', rule: 'ANY', approverRole: 'admin' },
  target: orgArgument('ORG'),
  async run(ctx, args) {
    const org = args.string('ORG');
    const params = { org, replicas: args.int('REPLICAS'), ...(args.has('timeout') ? { timeoutSeconds: args.int('timeout') } : {}) };
    return submitted(await ctx.submit(kinds.peersScale, params), `scale ${org} peers to ${args.int('REPLICAS')}`);
  },
};
