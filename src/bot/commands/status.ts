import { orgName } from './arg-types.js';
import { renderStatus } from '../render/status.js';
import { ephemeral, type CommandSpec } from './types.js';

const org = { name: 'org', value: { placeholder: 'ORG', type: orgName }, help: 'only this organisation' } as const;
const page = { name: 'page', value: { placeholder: 'N', type: { kind: 'int', min: 1, max: 1000 } }, help: 'which page of pods' } as const;

const behind = {
  name: 'behind',
  value: { placeholder: 'N', type: { kind: 'int', min: 0, max: 1_000_000 } },
  help: 'flag peers more than N blocks behind (default 5)',
} as const;

const optionalOrg = (org: string | undefined): { org?: string } => (org === undefined ? {} : { org });

export const status: CommandSpec = {
  path: ['status'],
  summary:
    'Pods of the network (readiness, restarts, age), each peer’s ledger height and each orderer’s place (consenter or follower) per channel',
  flags: [org, page, behind],
  access: 'viewer',
  async run(ctx, args) {
    const result = await ctx.services.queries.ask('network-status', ctx.network?.name ?? '', {
      ...optionalOrg(args.optionalString('org')),
      withLedgers: true,
    });
    return ephemeral(
      renderStatus(result, {
        withMetrics: false,
        page: args.optionalInt('page') ?? 1,
        command: `${ctx.services.commandName} status`,
        behindLimit: args.optionalInt('behind') ?? 5,
      }),
    );
  },
};

export const metrics: CommandSpec = {
  path: ['metrics'],
  summary: "CPU and memory of the network's pods, from metrics.k8s.io",
  flags: [org, page],
  access: 'viewer',
  async run(ctx, args) {
    const result = await ctx.services.queries.ask('network-status', ctx.network?.name ?? '', {
      ...optionalOrg(args.optionalString('org')),
      withMetrics: true,
    });
    return ephemeral(
      renderStatus(result, { withMetrics: true, page: args.optionalInt('page') ?? 1, command: `${ctx.services.commandName} metrics` }),
    );
  },
};
