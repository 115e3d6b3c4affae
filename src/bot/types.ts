import type { WebClient } from '@slack/web-api';
import type { Config, NetworkConfig, Role } from '../config/model.js';
import type { Approvals } from '../jobs/services/approvals.js';
import type { AuditLog } from '../jobs/services/audit.js';
import type { InputOf, JobKind, JobKinds } from '../jobs/catalog/kind.js';
import type { DefaultApproval, EffectivePolicy, PolicyFloor } from '../jobs/services/policy.js';
import type { QueryName, QueryParams, QueryResult } from '../jobs/services/queries.js';
import type { JobQueue } from '../jobs/engine/queue.js';
import type { Logger } from '../log.js';
import type { Grammar, ParsedArgs } from './grammar.js';
import type { Member, Membership } from './membership.js';
import type { Rendered } from './render/text.js';

/** The types the Slack edge is made of: its context, and the commands declared on it. */

/** Asks a worker for a read that needs keys or Secrets (see jobs/query-bus.ts). */
export interface Queries {
  ask<K extends QueryName>(name: K, network: string, params: QueryParams<K>): Promise<QueryResult<K>>;
}

/**
 * Everything the Slack edge works with, in one bag: handlers, commands and buttons all get it.
 * It holds no Kubernetes client and no key: reads that need them are asked of the workers.
 */
export interface BotContext {
  config: Config;
  jobs: JobQueue;
  audit: AuditLog;
  approvals: Approvals;
  /** The kinds of job commands submit, for what their approvals do. */
  kinds: JobKinds;
  queries: Queries;
  log: Logger;
  membership: Membership;
  client: WebClient;
  /** The slash command as configured, e.g. "/fabric". */
  commandName: string;
  /** The declared commands, for parsing and help. */
  commands: readonly CommandSpec[];
}

export type { Member } from './membership.js';

export type Submission =
  | { kind: 'queued'; id: string; created: boolean }
  | { kind: 'awaiting-approval'; id: string; created: boolean; orgs: string[] };

export interface Reply extends Rendered {
  visibility: 'ephemeral' | 'in_channel';
}

export interface CommandContext {
  userId: string;
  channelId: string;
  /** Stable for one Slack request, also across Slack's retries of it. */
  requestId: string;
  /** The text as typed after the command name. */
  text: string;
  network?: NetworkConfig;
  /** The membership the request is made with: in the target org when the command names one. */
  member?: Member;
  /** The org the command acts on, when it names one (see CommandSpec.target). */
  targetOrg?: string;
  /** The policy the request runs under, as authorisation decided it. */
  policy?: EffectivePolicy;
  services: BotContext;
  /**
   * Queue a job for this request, or, when its policy asks for approval, post an approval card
   * and queue the job once the organisations agree. Idempotent per request.
   */
  submit<K extends JobKind>(kind: K, params: InputOf<K>): Promise<Submission>;
}

/** The org a command acts on, or why it cannot be found out (a pod that is not a Fabric pod). */
export type Target = { org?: string } | { refuse: string };

/**
 * One subcommand, declared once: its grammar, who may use it, and what it does.
 * `access: 'anyone'` commands also work in channels not bound to a network.
 */
export interface CommandSpec extends Grammar {
  access: 'anyone' | Role;
  /** Approval this command needs unless the configuration's policies say otherwise. */
  approval?: DefaultApproval;
  /**
   * The org the command acts on. Only that org's members may request it, with their role in
   * that org, unless the policy allows other orgs, whose requests that org then approves.
   */
  target?(args: ParsedArgs, ctx: { network: NetworkConfig; services: BotContext }): Target | Promise<Target>;
  /** Stricter requirements some arguments raise (registering an admin, say); the configuration cannot lower them. */
  floor?(args: ParsedArgs): PolicyFloor | undefined;
  /** Pure commands (no Redis, Kubernetes or Fabric) answer inside Slack's acknowledgement. */
  instant?: boolean;
  run(ctx: CommandContext, args: ParsedArgs): Promise<Reply>;
}
