import * as kinds from '../../jobs/catalog/kinds.js';
import { submitted, type CommandSpec } from './types.js';

export const ping: CommandSpec = {
  path: ['ping'],
  summary: 'Check the pipeline end to end: queue a job and report queue and worker latency',
  flags: [
    {
      name: 'hold',
      value: { placeholder: 'SECONDS', type: { kind: 'int', min: 1, max: 60 } },
      help: 'keep the job running this long, at most 60 (to watch progress, or test a restart)',
    },
  ],
  access: 'viewer',
  async run(ctx, args) {
    const hold = args.optionalInt('hold');
    return submitted(await ctx.submit(kinds.ping, hold === undefined ? {} : { holdMs: hold * 1000 }), 'ping');
  },
};
