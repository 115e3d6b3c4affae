import { renderApprovalList } from '../render/approval.js';
import { ephemeral, type CommandSpec } from './types.js';

export const approvals: CommandSpec = {
  path: ['approvals'],
  summary: 'List the requests waiting for approval',
  access: 'viewer',
  async run(ctx) {
    const open = await ctx.services.approvals.open();
    return ephemeral(renderApprovalList(open.filter((r) => r.network === ctx.network?.name)));
  },
};
