import { z } from 'zod';
import { dns1123Label } from '../../config/model.js';
import type { ApprovalRequest, Vote } from '../services/approvals.js';
import type { JobRequest } from '../engine/types.js';

/**
 * A kind of job, declared once: its type name, its params as a zod schema, and what an approval
 * does with it. The Slack edge submits a kind with params of its schema's type (checked by the
 * compiler); a worker validates a job's params against the schema before acting, so a job written
 * into Redis by hand or queued by another release fails at once, naming the bad field. Kinds are
 * pure data: the Slack edge imports them without the workers' clients (handlers are apart).
 */
export interface JobKind<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly params: S;
  readonly approval?: ApprovalHooks<z.input<S>>;
  /** Its jobs serve an approval card and show their work there: no status message unless one fails. */
  readonly showsOnCard?: boolean;
}

/** What a job kind does around approvals (chaincode deploys and channel updates have some). */
export interface ApprovalHooks<P> {
  /** The job queued when the request is put up for approval (to show a plan on its card). */
  requested?(request: ApprovalRequest): Omit<JobRequest, 'requestedAt'>;
  /** The params once approved, from the votes cast. */
  approved?(params: P, votes: readonly Vote[], approvalId: string): P;
  /** The params when the policy asks for no approval, from who asked. */
  unapproved?(params: P, requester: { org?: string; role?: string }): P;
  /** The job an org's approving vote queues straight away. */
  orgApproved?(request: ApprovalRequest, org: string, userId: string): Omit<JobRequest, 'requestedAt'>;
}

export function jobKind<S extends z.ZodType>(
  type: string,
  params: S,
  approval?: ApprovalHooks<z.input<S>>,
  options: { showsOnCard?: boolean } = {},
): JobKind<S> {
  return { type, params, ...(approval === undefined ? {} : { approval }), ...options };
}

/** The params as a job of the kind is submitted with them. */
export type InputOf<K extends JobKind> = z.input<K['params']>;
/** The params as a handler receives them (validated, defaults applied). */
export type ParamsOf<K extends JobKind> = z.output<K['params']>;

/** The kinds a process knows, by type name. */
export class JobKinds {
  private readonly byName: ReadonlyMap<string, JobKind>;

  constructor(readonly all: readonly JobKind[]) {
    this.byName = new Map(all.map((k) => [k.type, k]));
  }

  get(type: string): JobKind | undefined {
    return this.byName.get(type);
  }
}

/** The envelope every job carries besides its params: who asked, where, for which network. */
export const jobEnvelope = z.object({
  type: z.string(),
  params: z.record(z.string(), z.unknown()),
  requester: z.object({ userId: z.string().min(1), org: z.string().optional(), role: z.string().optional() }),
  channel: z.string().min(1),
  network: dns1123Label,
  targetOrg: dns1123Label.optional(),
  command: z.string(),
  requestedAt: z.number(),
});

/** Why a job's data cannot be acted on, naming each bad field; undefined when it can. */
export function envelopeProblem(data: unknown): string | undefined {
  const result = jobEnvelope.safeParse(data);
  return result.success ? undefined : result.error.issues.map((i) => `${i.path.map(String).join('.') || '(all)'}: ${i.message}`).join('; ');
}

/** The params of a job as a worker takes them up; a message naming each bad field otherwise. */
export function parseParams<K extends JobKind>(
  kind: K,
  params: unknown,
): { ok: true; params: ParamsOf<K> } | { ok: false; problem: string } {
  const result = kind.params.safeParse(params);
  if (result.success) return { ok: true, params: result.data as ParamsOf<K> };
  const problem = result.error.issues
    .map((i) =>
      i.code === 'unrecognized_keys'
        ? `unexpected ${i.keys.map((k) => `params.${k}`).join(', ')}`
        : `params.${i.path.map(String).join('.') || '(all)'}: ${i.message}`,
    )
    .join('; ');
  return { ok: false, problem };
}
