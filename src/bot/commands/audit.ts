import { renderAudit } from '../render/jobs.js';
import { ephemeral, type CommandSpec } from './types.js';

export const audit: CommandSpec = {
  path: ['audit'],
  summary: 'Show the latest entries of this network’s audit trail',
  args: [{ name: 'N', type: { kind: 'int', min: 1, max: 100 }, optional: true }],
  access: 'operator',
  async run(ctx, args) {
    return ephemeral(renderAudit(await ctx.services.audit.latest(args.optionalInt('N') ?? 20, ctx.network?.name ?? '')));
  },
};
