import type { NetworkConfig } from '../../config/model.js';
import type { ParsedArgs } from '../grammar.js';
import type { Rendered } from '../render/text.js';
import type { Reply, Submission, Target } from '../types.js';

export type { CommandContext, CommandSpec, Member, Reply, Submission, Target } from '../types.js';

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
    return {
      refuse: `Network ${network.name} has no org \`${org}\`; its orgs are ${network.orgs.map((o) => `\`${o.name}\``).join(', ')}.`,
    };
  };
