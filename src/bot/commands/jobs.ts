import { mayCancel } from '../../jobs/services/policy.js';
import { renderJobStatus } from '../render/job-status.js';
import { renderJobList } from '../render/jobs.js';
import { section } from '../render/text.js';
import { ephemeral, type CommandSpec } from './types.js';

const jobId = { kind: 'string', pattern: /^[a-z0-9-]{4,64}$/, hint: 'a job id' } as const;

export const jobs: CommandSpec = {
  path: ['jobs'],
  summary: 'List this network’s latest jobs',
  flags: [{ name: 'limit', value: { placeholder: 'N', type: { kind: 'int', min: 1, max: 50 } }, help: 'how many (default 10)' }],
  access: 'viewer',
  async run(ctx, args) {
    return ephemeral(renderJobList(await ctx.services.jobs.list(args.optionalInt('limit') ?? 10, ctx.network?.name ?? '')));
  },
};

export const job: CommandSpec = {
  path: ['job'],
  summary: 'Show one job: its steps, outcome and timing',
  args: [{ name: 'ID', type: jobId }],
  access: 'viewer',
  async run(ctx, args) {
    const id = args.string('ID');
    const view = await ctx.services.jobs.get(id, ctx.network?.name ?? '');
    if (view === undefined)
      return ephemeral({
        text: `No job \`${id}\`.`,
        blocks: [section(`No job \`${id}\`. \`${ctx.services.commandName} jobs\` lists the latest.`)],
      });
    const rendered = renderJobStatus(view);
    // The copy shown to one person carries no Cancel button: that lives on the channel's status message.
    return ephemeral({ text: rendered.text, blocks: rendered.blocks?.filter((b) => b.type !== 'actions') });
  },
};

export const cancel: CommandSpec = {
  path: ['cancel'],
  summary: 'Cancel a queued or running job (steps already done stay done)',
  args: [{ name: 'ID', type: jobId }],
  details: 'Its requester may cancel it, and the operators of the org it acts on (of any org, for a job on the whole network).',
  access: 'viewer',
  async run(ctx, args) {
    const id = args.string('ID');
    const network = ctx.network?.name ?? '';
    const job = await ctx.services.jobs.get(id, network);
    const memberships = await ctx.services.membership.membershipsOf(ctx.userId, network);
    if (job !== undefined && !mayCancel(job, ctx.userId, memberships)) {
      await ctx.services.audit.append({
        actor: ctx.userId,
        action: 'job.cancel',
        target: id,
        result: 'refused',
        channel: ctx.channelId,
        network,
        detail: 'not the requester nor an operator of the org it acts on',
      });
      const text = `Only the requester or an operator of ${job.targetOrg ?? 'this network'} can cancel job \`${id}\`.`;
      return ephemeral({ text, blocks: [section(`:no_entry: ${text}`)] });
    }
    const outcome = job === undefined ? 'not-found' : await ctx.services.jobs.cancel(id, ctx.userId, network);
    await ctx.services.audit.append({
      actor: ctx.userId,
      action: 'job.cancel',
      target: id,
      result: outcome === 'not-found' || outcome === 'already-finished' ? 'refused' : 'ok',
      channel: ctx.channelId,
      network,
      detail: outcome,
    });
    const text = {
      removed: `Job \`${id}\` was still queued; it is cancelled.`,
      cancelling: `Job \`${id}\` is running; it stops at its next step.`,
      'not-found': `No job \`${id}\`.`,
      'already-finished': `Job \`${id}\` has already finished.`,
    }[outcome];
    return ephemeral({ text, blocks: [section(text)] });
  },
};
