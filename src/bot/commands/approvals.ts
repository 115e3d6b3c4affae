import { renderApprovalList } from '../render/approval.js';
import { ephemeral, type CommandSpec } from './types.js';

export const approvals: CommandSpec = {
  path: ['approvals'],
  summary: 'List this network’s requests waiting for approval',
  access: 'viewer',
  async run(ctx) {
    return ephemeral(renderApprovalList(await ctx.services.approvals.open(ctx.network?.name ?? '')));
  },
};
