import type { Logger } from '../../log.js';
import type { ApprovalRequest, Approvals } from './approvals.js';
import type { AuditLog } from './audit.js';
import type { InputOf, JobKind, JobKinds } from '../catalog/kind.js';
import { jobIdFor, type JobQueue } from '../engine/queue.js';
import type { JobRequest } from '../engine/types.js';

/**
 * What an approval queues: the approved job (params as the kind's hooks make them from the votes),
 * the job each org's approval runs at once, and the sweeper that queues what a dead voter owed.
 */

/** True when an org's approving vote on this kind of request queues a job of its own. */
export function hasOrgFollowUp(kinds: JobKinds, jobType: string): boolean {
  return kinds.get(jobType)?.approval?.orgApproved !== undefined;
}

/** The params a job queued without approval carries. */
export function unapprovedParams<K extends JobKind>(kind: K, params: InputOf<K>, requester: { org?: string; role?: string }): InputOf<K> {
  // kind.approval's hooks take and give the kind's own params (see jobKind).
  return (kind.approval?.unapproved?.(params, requester) as InputOf<K> | undefined) ?? params;
}

export interface ApprovalFlowDeps {
  jobs: JobQueue;
  approvals: Approvals;
  audit: AuditLog;
  kinds: JobKinds;
}

/**
 * Queues the job of an approved request (its id is the request's, so at most once) and marks
 * it no longer owed. Returns whether this call queued it.
 */
export async function enqueueApproved(deps: ApprovalFlowDeps, approval: ApprovalRequest): Promise<{ id: string; created: boolean }> {
  const type = approval.jobType;
  const params = deps.kinds.get(type)?.approval?.approved?.(approval.params, approval.votes, approval.id) ?? approval.params;
  const queued = await deps.jobs.enqueue(approval.id, {
    type,
    params: params as JobRequest['params'],
    requester: approval.requester,
    channel: approval.channel,
    network: approval.network,
    ...(approval.targetOrg === undefined ? {} : { targetOrg: approval.targetOrg }),
    command: approval.command,
    requestedAt: approval.createdAt,
  });
  await deps.approvals.setJob(approval.id, queued.id);
  await deps.approvals.jobQueued(approval.id);
  return queued;
}

/** Queues the job a request's kind runs when it is put up for approval, if it has one (idempotent per request). */
export async function enqueueRequestedFollowUp(deps: Pick<ApprovalFlowDeps, 'jobs' | 'kinds'>, approval: ApprovalRequest): Promise<void> {
  const follow = deps.kinds.get(approval.jobType)?.approval?.requested?.(approval);
  if (follow !== undefined) await deps.jobs.enqueue(jobIdFor(`${approval.id}:requested`), { ...follow, requestedAt: Date.now() });
}

/** Queues the job an org's approval runs at once, if its kind has one (idempotent per request and org). */
export async function enqueueOrgFollowUp(deps: ApprovalFlowDeps, approval: ApprovalRequest, org: string, userId: string): Promise<void> {
  const follow = deps.kinds.get(approval.jobType)?.approval?.orgApproved?.(approval, org, userId);
  if (follow !== undefined) await deps.jobs.enqueue(jobIdFor(`${approval.id}:${org}`), { ...follow, requestedAt: Date.now() });
  await deps.approvals.followUpQueued(approval.id, org);
}

/**
 * Finds what a deciding vote recorded as owed and nobody queued (the process that cast it died
 * between the vote and the enqueue), and queues it. Both steps are idempotent, so any number of
 * processes may run this; `graceMs` keeps it from racing the voter's own enqueue.
 */
export class OwedJobsSweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: ApprovalFlowDeps,
    private readonly log: Logger,
    private readonly onQueued: (approvalId: string) => Promise<void>,
    private readonly graceMs = 10_000,
  ) {}

  async sweep(): Promise<number> {
    let queued = 0;
    for (const id of await this.deps.approvals.owedJobs(this.graceMs)) {
      const approval = await this.deps.approvals.get(id);
      if (approval === undefined || approval.state !== 'approved') {
        await this.deps.approvals.jobQueued(id);
        continue;
      }
      const { id: jobId, created } = await enqueueApproved(this.deps, approval);
      if (!created) continue;
      queued++;
      this.log.warn({ approval: id, jobId }, 'queued the job of an approved request whose voter did not');
      await this.deps.audit.append({
        actor: 'system',
        action: 'approval.granted',
        target: id,
        result: 'ok',
        channel: approval.channel,
        network: approval.network,
        detail: `job ${jobId} (queued by the sweeper)`,
      });
      await this.onQueued(id).catch((err: unknown) => this.log.warn({ err, approval: id }, 'approval card not updated'));
    }
    for (const { id, org } of await this.deps.approvals.owedFollowUps(this.graceMs)) {
      const approval = await this.deps.approvals.get(id);
      if (approval === undefined) {
        await this.deps.approvals.followUpQueued(id, org);
        continue;
      }
      const vote = approval.votes.find((v) => v.org === org && v.decision === 'approve');
      if (vote === undefined) await this.deps.approvals.followUpQueued(id, org);
      else await enqueueOrgFollowUp(this.deps, approval, org, vote.user);
    }
    return queued;
  }

  start(intervalMs = 5000): void {
    const tick = (): void =>
      void this.sweep().catch((err: unknown) => this.log.warn({ err }, 'could not look for approved requests without a job'));
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
