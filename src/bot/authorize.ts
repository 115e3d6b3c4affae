import { roleRank, type NetworkConfig } from '../config/model.js';
import { effectivePolicy, type EffectivePolicy } from '../jobs/services/policy.js';
import type { CommandSpec, Member } from './commands/types.js';
import type { BotContext } from './context.js';
import type { ParsedArgs } from './grammar.js';

/**
 * The one place that decides whether a person may run a command here, and under which policy.
 * Typed commands, alert buttons (which stand for commands) and the commands' own approvals all
 * come through it.
 */
export type Decision =
  | { ok: true; network?: NetworkConfig; member?: Member; targetOrg?: string; policy?: EffectivePolicy }
  /** `outsider`: the person is not a member of the channel's network (or the channel has none). */
  | { ok: false; reason: string; outsider: boolean };

const strongest = (ms: readonly Member[]): Member | undefined =>
  ms.reduce<Member | undefined>((best, m) => (best === undefined || roleRank[m.role] > roleRank[best.role] ? m : best), undefined);

export async function authorize(
  bot: BotContext,
  spec: CommandSpec,
  where: { userId: string; channelId: string },
  args: ParsedArgs,
): Promise<Decision> {
  const network = bot.membership.networkFor(where.channelId);
  if (spec.access === 'anyone') return { ok: true, ...(network === undefined ? {} : { network }) };
  const name = `${bot.commandName} ${spec.path.join(' ')}`;
  if (network === undefined) {
    return {
      ok: false,
      outsider: true,
      reason:
        `This channel is not bound to a Fabric network, so \`${name}\` cannot run here. ` +
        'An admin binds channels in the config (networks[].channels).',
    };
  }
  const memberships = await bot.membership.membershipsOf(where.userId, network.name);
  if (memberships.length === 0)
    return { ok: false, outsider: true, reason: `You are not a member of any organisation of network *${network.name}*.` };

  const target = spec.target === undefined ? {} : await spec.target(args, { network, services: bot });
  if ('refuse' in target) return { ok: false, outsider: false, reason: target.refuse };
  const targetOrg = target.org;
  const inTarget = targetOrg === undefined ? undefined : memberships.find((m) => m.org === targetOrg);
  const crossOrg = targetOrg !== undefined && inTarget === undefined;
  const member = (inTarget ?? strongest(memberships)) as Member;
  const floor = spec.floor?.(args);
  const policy = effectivePolicy(bot.config, {
    command: spec.path.join(' '),
    defaults: { role: spec.access, ...(spec.approval === undefined ? {} : { approval: spec.approval }) },
    ...(floor === undefined ? {} : { floor }),
    network,
    requesterOrg: member.org,
    ...(targetOrg === undefined ? {} : { targetOrg }),
    crossOrg,
  });
  if (crossOrg && !policy.allowOtherOrgs) {
    const yours = memberships.map((m) => `${m.role} in ${m.org}`).join(', ');
    return {
      ok: false,
      outsider: false,
      reason: `\`${name}\` acts on ${targetOrg}, and only ${targetOrg}'s members may ask for it (you are ${yours}).`,
    };
  }
  if (roleRank[member.role] < roleRank[policy.role]) {
    const why = policy.because === undefined ? '' : ` (${policy.because})`;
    return {
      ok: false,
      outsider: false,
      reason: `\`${name}\` needs the ${policy.role} role${why}; you are ${member.role} in ${member.org}.`,
    };
  }
  return { ok: true, network, member, policy, ...(targetOrg === undefined ? {} : { targetOrg }) };
}
