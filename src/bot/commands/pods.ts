import { objectName } from './arg-types.js';
import * as kinds from '../../jobs/catalog/kinds.js';
import { logBlock } from '../render/alert.js';
import { escapeMrkdwn, section } from '../render/text.js';
import { ephemeral, submitted, type CommandSpec, type Target } from './types.js';
import type { ParsedArgs } from '../grammar.js';
import type { NetworkConfig } from '../../config/model.js';
import type { BotContext } from '../context.js';

const podName = objectName('pod');

/** A pod acts for the org its label names: that org's members may look at it and restart it. */
async function podOwner(args: ParsedArgs, { network, services }: { network: NetworkConfig; services: BotContext }): Promise<Target> {
  const owner = await services.queries.ask('pod-owner', network.name, { pod: args.string('POD') });
  return owner.org === undefined ? {} : { org: owner.org };
}

export const podsLogs: CommandSpec = {
  path: ['pods', 'logs'],
  summary: "Show the last lines a Fabric pod's container wrote",
  args: [{ name: 'POD', type: podName }],
  access: 'viewer',
  target: podOwner,
  async run(ctx, args) {
    const tail = await ctx.services.queries.ask('pod-logs', ctx.network?.name ?? '', { pod: args.string('POD'), lines: 40 });
    return ephemeral({
      text: `Logs of ${tail.pod}`,
      blocks: [section(`Last lines of \`${escapeMrkdwn(tail.pod)}\` in \`${escapeMrkdwn(tail.namespace)}\``), logBlock(tail.text)],
    });
  },
};

export const podsRestart: CommandSpec = {
  path: ['pods', 'restart'],
  summary: 'Restart a Fabric pod (deleted, then recreated by its controller)',
  args: [{ name: 'POD', type: podName }],
  access: 'operator',
  approval: { orgs: 'requester', rule: 'ANY', approverRole: 'admin' },
  target: podOwner,
  async run(ctx, args) {
    const pod = args.string('POD');
    return submitted(await ctx.submit(kinds.podRestart, { pod }), `restart ${pod}`);
  },
};
