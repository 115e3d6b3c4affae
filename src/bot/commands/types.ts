import type { Config, NetworkConfig, Role } from '../../config/model.js';
import type { AuditLog } from '../../jobs/audit.js';
import type { DefaultApproval } from '../../jobs/approval-policy.js';
import type { Approvals } from '../../jobs/approvals.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { Platform } from '../../jobs/services.js';
import type { JsonValue } from '../../jobs/types.js';
import type { Grammar, ParsedArgs } from '../grammar.js';
import type { Rendered } from '../render/text.js';

export interface Member {
  org: string;
  role: Role;
}

export type Submission = { kind: 'queued'; id: string; created: boolean } | { kind: 'awaiting-approval'; id: string; created: boolean; orgs: string[] };

export interface Reply extends Rendered {
  visibility: 'ephemeral' | 'in_channel';
}

export interface Services {
  config: Config;
  jobs: JobQueue;
  audit: AuditLog;
  approvals: Approvals;
  /** Kubernetes and Fabric, for read-only commands answered without a job. */
  platform: Platform;
  /** The slash command as configured, e.g. "/fabric". */
  commandName: string;
  /** The declared commands, for help. */
  commands: readonly CommandSpec[];
}

export interface CommandContext {
  userId: string;
  channelId: string;
  /** Stable for one Slack request, also across Slack's retries of it. */
  requestId: string;
  /** The text as typed after the command name. */
  text: string;
  network?: NetworkConfig;
  member?: Member;
  services: Services;
  /**
   * Queue a job for this request, or, when the command's policy asks for approval, post an
   * approval card and queue the job once the organisations agree. Idempotent per request.
   */
  submit(type: string, params: Record<string, JsonValue>): Promise<Submission>;
}

/**
 * One subcommand, declared once: its grammar, who may use it, and what it does.
 * `access: 'anyone'` commands also work in channels not bound to a network.
 */
export interface CommandSpec extends Grammar {
  access: 'anyone' | Role;
  /** Approval this command needs unless the configuration's policies say otherwise. */
  approval?: DefaultApproval;
  /** Pure commands (no Redis, Kubernetes or Fabric) answer inside Slack's acknowledgement. */
  instant?: boolean;
  run(ctx: CommandContext, args: ParsedArgs): Promise<Reply>;
}

/** The usual answer to a submitted request. */
export function submitted(s: Submission, what: string): Reply {
  const text =
    s.kind === 'queued'
      ? s.created
        ? `Queued job \`${s.id}\`: ${what}. Its status follows in this channel.`
        : `Already queued as job \`${s.id}\`.`
      : s.created
        ? `Asked ${s.orgs.join(', ')} to approve request \`${s.id}\`: ${what}. The card is in this channel.`
        : `Already waiting for approval as request \`${s.id}\`.`;
  return { visibility: 'ephemeral', text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export const ephemeral = (r: { text: string; blocks?: Rendered['blocks'] }): Reply => ({ ...r, visibility: 'ephemeral' });
