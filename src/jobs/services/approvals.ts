import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Role } from '../../config/model.js';
import { KEY_PREFIX } from '../engine/redis.js';
import type { JsonValue, Requester, StatusMessageRef } from '../engine/types.js';

export type ApprovalRule = 'ANY' | 'ALL' | 'MAJORITY' | { atLeast: number };
export type ApprovalState = 'open' | 'approved' | 'rejected' | 'expired';
export type Decision = 'approve' | 'reject';

export interface ApprovalPolicy {
  /** Organisations whose vote counts. */
  orgs: string[];
  rule: ApprovalRule;
  approverRole: Role;
  allowSelfApproval: boolean;
  expiresAfterMs: number;
}

export interface Vote {
  org: string;
  user: string;
  decision: Decision;
  at: number;
}

/** A change waiting for organisations to agree. Holds ids and parameters only, never secrets. */
export interface ApprovalRequest {
  id: string;
  /** What runs once approved. */
  jobType: string;
  params: Record<string, JsonValue>;
  command: string;
  requester: Requester;
  channel: string;
  network: string;
  /** The org the change acts on, when it names one. */
  targetOrg?: string;
  policy: ApprovalPolicy;
  needed: number;
  state: ApprovalState;
  createdAt: number;
  expiresAt: number;
  closedAt?: number;
  votes: Vote[];
  card?: StatusMessageRef;
  jobId?: string;
  /** For chaincode: which orgs' approveformyorg Fabric has recorded (commit readiness). */
  fabric?: Record<string, boolean>;
  /** For a channel config update: the plan made when it was requested, which each org signs. */
  plan?: ChannelPlan;
  /** For a channel config update: each org's signature of the plan (or why it does not count), in order. */
  signatures: PlanSignature[];
}

/**
 * A channel config update as planned when it was requested. It applies to the config sequence it
 * was computed on and to nothing else; what each org's admin signs is `update`, byte for byte.
 */
export interface ChannelPlan {
  channel: string;
  sequence: number;
  /** The ConfigUpdate, base64 (configuration, no secret). */
  update: string;
  /** The change in an operator's words, one line each. */
  changes: string[];
  /** The policies Fabric will evaluate, and what each asks (e.g. "MAJORITY of Admins: 2 of Org1MSP, Org2MSP"). */
  policies: { element: string; policy: string; asks: string }[];
  /** The MSPs whose admins' signatures those policies count. */
  signers: string[];
  /** When the policies come down to "admins of `count` of these MSPs": what the Slack rule is raised to. */
  demand?: { msps: string[]; count: number };
  madeAt: number;
  /** Why there is nothing to sign (the change is not possible, or the channel already has it). */
  problem?: string;
}

/** One org's signature of a plan: its admin's ConfigSignature, or why it does not count. */
export interface PlanSignature {
  org: string;
  mspId: string;
  /** Whose approval it was (the Slack user), or "system" when signed at submission. */
  user: string;
  at: number;
  /** The ConfigSignature, base64 (a signature and a certificate, no secret). */
  signature?: string;
  refused?: string;
}

export type VoteOutcome = 'missing' | 'closed' | 'expired' | 'duplicate' | 'duplicate-person' | 'rejected' | 'approved' | 'recorded';

/** How many approvals a rule needs among `orgCount` organisations. */
export function approvalsNeeded(rule: ApprovalRule, orgCount: number): number {
  if (orgCount <= 0) return 1;
  if (rule === 'ANY') return 1;
  if (rule === 'ALL') return orgCount;
  if (rule === 'MAJORITY') return Math.floor(orgCount / 2) + 1;
  return Math.min(Math.max(1, rule.atLeast), orgCount);
}

export function describeRule(rule: ApprovalRule, orgCount: number): string {
  if (rule === 'ANY') return orgCount === 1 ? 'its approval' : 'any one of them';
  if (rule === 'ALL') return 'all of them';
  if (rule === 'MAJORITY') return `a majority (${approvalsNeeded(rule, orgCount)} of ${orgCount})`;
  return `${approvalsNeeded(rule, orgCount)} of ${orgCount}`;
}

const voteScript = readFileSync(new URL('./scripts/vote.lua', import.meta.url), 'utf8');
const requestKey = (id: string): string => `${KEY_PREFIX}:approval:${id}`;
const votesKey = (id: string): string => `${KEY_PREFIX}:approval:${id}:votes`;
const signaturesKey = (id: string): string => `${KEY_PREFIX}:approval:${id}:signatures`;
const openIndex = (network: string): string => `${KEY_PREFIX}:approvals:open:${network}`;
/** Approved requests whose job is not known to be queued yet (written by the deciding vote). */
const OWED_JOBS = `${KEY_PREFIX}:approvals:owed-jobs`;
/** "id|org": an org's approval whose follow-up job is not known to be queued yet. */
const OWED_FOLLOW_UPS = `${KEY_PREFIX}:approvals:owed-follow-ups`;
const cardClaimKey = (id: string): string => `${KEY_PREFIX}:approval:${id}:card-claim`;
const CARD_CLAIM_MS = 60_000;
const RETAIN_MS = 30 * 24 * 3600 * 1000;

/** Approval requests and their votes in Redis. */
export class Approvals {
  constructor(
    private readonly redis: Redis,
    private readonly now: () => number = Date.now,
  ) {
    redis.defineCommand('fcoVote', { numberOfKeys: 4, lua: voteScript });
  }

  /** Idempotent on id: Slack retrying the request returns the request already made. */
  async create(
    req: Omit<ApprovalRequest, 'state' | 'createdAt' | 'expiresAt' | 'votes' | 'needed' | 'signatures'>,
  ): Promise<{ request: ApprovalRequest; created: boolean }> {
    const createdAt = this.now();
    const expiresAt = createdAt + req.policy.expiresAfterMs;
    const needed = approvalsNeeded(req.policy.rule, req.policy.orgs.length);
    const body: Record<string, string> = {
      state: 'open',
      createdAt: String(createdAt),
      expiresAt: String(expiresAt),
      needed: String(needed),
      data: JSON.stringify({
        jobType: req.jobType,
        params: req.params,
        command: req.command,
        requester: req.requester,
        channel: req.channel,
        network: req.network,
        ...(req.targetOrg === undefined ? {} : { targetOrg: req.targetOrg }),
        policy: req.policy,
      }),
    };
    const created = (await this.redis.hsetnx(requestKey(req.id), 'state', 'open')) === 1;
    if (created) {
      await this.redis
        .multi()
        .hset(requestKey(req.id), body)
        .pexpire(requestKey(req.id), req.policy.expiresAfterMs + RETAIN_MS)
        .zadd(openIndex(req.network), expiresAt, req.id)
        .exec();
    }
    const request = await this.get(req.id);
    if (request === undefined) throw new Error(`approval ${req.id} vanished while being created`);
    return { request, created };
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    const [fields, votes, signatures] = await Promise.all([
      this.redis.hgetall(requestKey(id)),
      this.redis.hgetall(votesKey(id)),
      this.redis.hgetall(signaturesKey(id)),
    ]);
    if (fields.state === undefined || fields.data === undefined) return undefined;
    const data = JSON.parse(fields.data) as Pick<
      ApprovalRequest,
      'jobType' | 'params' | 'command' | 'requester' | 'channel' | 'network' | 'targetOrg' | 'policy'
    >;
    if (fields.orgs !== undefined) data.policy = { ...data.policy, orgs: JSON.parse(fields.orgs) as string[] };
    let state = fields.state as ApprovalState;
    const expiresAt = Number(fields.expiresAt);
    if (state === 'open' && this.now() > expiresAt) state = 'expired';
    return {
      id,
      ...data,
      needed: Number(fields.needed),
      state,
      createdAt: Number(fields.createdAt),
      expiresAt,
      closedAt: fields.closedAt === undefined ? undefined : Number(fields.closedAt),
      votes: Object.entries(votes)
        .map(([org, raw]) => ({ org, ...(JSON.parse(raw) as Omit<Vote, 'org'>) }))
        .sort((a, b) => a.at - b.at),
      card: fields.card === undefined ? undefined : (JSON.parse(fields.card) as StatusMessageRef),
      jobId: fields.jobId,
      ...(fields.fabric === undefined ? {} : { fabric: JSON.parse(fields.fabric) as Record<string, boolean> }),
      ...(fields.plan === undefined ? {} : { plan: JSON.parse(fields.plan) as ChannelPlan }),
      signatures: Object.values(signatures)
        .map((raw) => JSON.parse(raw) as PlanSignature)
        .sort((a, b) => a.at - b.at),
    };
  }

  /** The request, if it is one of `network`'s; another network's request is as unknown as none. */
  async getIn(id: string, network: string): Promise<ApprovalRequest | undefined> {
    const request = await this.get(id);
    return request?.network === network ? request : undefined;
  }

  /**
   * One vote per organisation and one per person, counted once however often it arrives; atomic
   * across processes. `followUp`: an org's approval owes a job of its own (see owedFollowUps).
   */
  async vote(
    request: Pick<ApprovalRequest, 'id' | 'network'>,
    org: string,
    user: string,
    decision: Decision,
    followUp = false,
  ): Promise<VoteOutcome> {
    const { id } = request;
    const cmd = (this.redis as unknown as { fcoVote(...args: string[]): Promise<[string, string]> }).fcoVote;
    const [outcome] = await cmd.call(
      this.redis,
      requestKey(id),
      votesKey(id),
      OWED_JOBS,
      OWED_FOLLOW_UPS,
      org,
      user,
      decision,
      String(this.now()),
      followUp ? '1' : '0',
      id,
    );
    if (outcome === 'approved' || outcome === 'rejected' || outcome === 'expired') await this.redis.zrem(openIndex(request.network), id);
    if (outcome === 'recorded' || outcome === 'approved' || outcome === 'rejected') await this.redis.pexpire(votesKey(id), RETAIN_MS);
    return outcome as VoteOutcome;
  }

  /** True for the one caller that may post the request's card (for a minute, then anyone may again). */
  async claimCard(id: string): Promise<boolean> {
    return (await this.redis.set(cardClaimKey(id), '1', 'PX', CARD_CLAIM_MS, 'NX')) === 'OK';
  }

  /** Approved requests whose job has not been confirmed queued for `graceMs` (their voter may have died). */
  async owedJobs(graceMs: number): Promise<string[]> {
    return this.redis.zrangebyscore(OWED_JOBS, '-inf', String(this.now() - graceMs), 'LIMIT', 0, 100);
  }

  async jobQueued(id: string): Promise<void> {
    await this.redis.zrem(OWED_JOBS, id);
  }

  /** Orgs' approvals whose follow-up job has not been confirmed queued for `graceMs`. */
  async owedFollowUps(graceMs: number): Promise<{ id: string; org: string }[]> {
    const entries = await this.redis.zrangebyscore(OWED_FOLLOW_UPS, '-inf', String(this.now() - graceMs), 'LIMIT', 0, 100);
    return entries.map((e) => ({ id: e.slice(0, e.lastIndexOf('|')), org: e.slice(e.lastIndexOf('|') + 1) }));
  }

  async followUpQueued(id: string, org: string): Promise<void> {
    await this.redis.zrem(OWED_FOLLOW_UPS, `${id}|${org}`);
  }

  async setCard(id: string, card: StatusMessageRef): Promise<void> {
    await this.redis.hset(requestKey(id), 'card', JSON.stringify(card));
  }

  async setFabricReadiness(id: string, readiness: Record<string, boolean>): Promise<void> {
    await this.redis.hset(requestKey(id), 'fabric', JSON.stringify(readiness));
  }

  /**
   * Asks the request's approval of `orgs` only (a subset of its orgs), `needed` of them, while it
   * is open and nobody has voted: what a channel policy counts, once its plan is known. Returns
   * false, changing nothing, when someone has voted already (their vote was cast on the rule shown).
   */
  async narrow(id: string, orgs: string[], needed: number): Promise<boolean> {
    const key = requestKey(id);
    const done = await this.redis.eval(
      `if redis.call('HGET', KEYS[1], 'state') ~= 'open' or redis.call('HLEN', KEYS[2]) > 0 then return 0 end
       redis.call('HSET', KEYS[1], 'orgs', ARGV[1], 'needed', ARGV[2])
       return 1`,
      2,
      key,
      votesKey(id),
      JSON.stringify(orgs),
      String(needed),
    );
    return done === 1;
  }

  /** Records the plan of a request, unless one is there already; returns the one kept. */
  async setPlan(id: string, plan: ChannelPlan): Promise<ChannelPlan> {
    if ((await this.redis.hsetnx(requestKey(id), 'plan', JSON.stringify(plan))) === 1) return plan;
    return JSON.parse((await this.redis.hget(requestKey(id), 'plan')) ?? 'null') as ChannelPlan;
  }

  /** Records an org's signature of the plan, unless it has one already; returns the one kept. */
  async addSignature(id: string, signature: PlanSignature): Promise<PlanSignature> {
    const key = signaturesKey(id);
    if ((await this.redis.hsetnx(key, signature.org, JSON.stringify(signature))) === 1) {
      await this.redis.pexpire(key, RETAIN_MS);
      return signature;
    }
    return JSON.parse((await this.redis.hget(key, signature.org)) ?? 'null') as PlanSignature;
  }

  async setJob(id: string, jobId: string): Promise<void> {
    await this.redis.hset(requestKey(id), 'jobId', jobId);
  }

  /** Open requests of one network, soonest to expire first; expired ones are dropped from the index. */
  async open(network: string): Promise<ApprovalRequest[]> {
    await this.redis.zremrangebyscore(openIndex(network), '-inf', String(this.now()));
    const ids = await this.redis.zrange(openIndex(network), '0', '99');
    const all = await Promise.all(ids.map((id) => this.getIn(id, network)));
    return all.filter((r): r is ApprovalRequest => r !== undefined && r.state === 'open');
  }
}
