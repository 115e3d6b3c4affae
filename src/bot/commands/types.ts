import type { NetworkConfig, Role } from '../../config/model.js';
import type { JobInput, JobType } from '../../jobs/params.js';
import type { DefaultApproval, EffectivePolicy, PolicyFloor } from '../../jobs/policy.js';
import type { BotContext } from '../context.js';
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
  submit<T extends JobType>(type: T, params: JobInput<T>): Promise<Submission>;
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

/** `target` for commands whose argument `arg` names the org. */
export const orgArgument =
  (arg: string) =>
  (args: ParsedArgs, { network }: { network: NetworkConfig }): Target => {
    const org = args.string(arg);
    if (network.orgs.some((o) => o.name === org)) return { org };
    return { refuse: `Network ${network.name} has no org \`${org}\`; its orgs are ${network.orgs.map((o) => `\`${o.name}\``).join(', ')}.` };
  };
