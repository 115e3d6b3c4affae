import type { KnownBlock } from '@slack/types';
import { type Grammar, usageOf } from '../grammar.js';
import type { CommandSpec } from '../types.js';
import { escapeMrkdwn, linesToSections, section, context, LIMITS, type Rendered } from './text.js';

function flagLines(g: Grammar): string[] {
  return (g.flags ?? [])
    .filter((f) => f.help !== undefined)
    .map((f) => `    \`--${f.name}${f.value === undefined ? '' : ` ${f.value.placeholder}`}\` ${escapeMrkdwn(f.help ?? '')}`);
}

export function renderHelp(prefix: string, commands: readonly Grammar[], detailed: boolean): Rendered {
  const lines = commands.map((c) => {
    const head = `\`${usageOf(prefix, c)}\`\n    ${escapeMrkdwn(c.summary)}`;
    if (!detailed) return head;
    const extra = [...flagLines(c), ...(c.details === undefined ? [] : [`    ${escapeMrkdwn(c.details)}`])];
    return [head, ...extra].join('\n');
  });
  const blocks: KnownBlock[] = [
    section(`*${escapeMrkdwn(prefix)}* — run Hyperledger Fabric on Kubernetes from Slack`),
    ...linesToSections(lines, LIMITS.blocksPerMessage - 2),
    context(`\`${prefix} help COMMAND\` shows one command in detail.`),
  ];
  const text = commands.map((c) => `${usageOf(prefix, c)} — ${c.summary}`).join('\n');
  return { text, blocks };
}

export function renderUsageError(problem: string, usage: readonly string[]): Rendered {
  const forms = usage.map((u) => `\`${u}\``).join('\n');
  const text = usage.length > 0 ? `${problem}\nUsage:\n${usage.join('\n')}` : problem;
  return {
    text,
    blocks: [section(`:warning: ${problem}`), ...(usage.length > 0 ? [section(`*Usage*\n${forms}`)] : [])],
  };
}

/** Who may ask for a command and who approves it, in words, from its declaration. */
export function accessLine(c: Pick<CommandSpec, 'access' | 'approval' | 'target'>): string {
  if (c.access === 'anyone') return 'anyone, anywhere';
  const who = c.target === undefined ? `${c.access} of the network` : `${c.access} of the org it acts on`;
  if (c.approval === undefined) return who;
  const rule = { ANY: 'any', ALL: 'all', MAJORITY: 'a majority' } as const;
  const howMany = typeof c.approval.rule === 'string' ? rule[c.approval.rule] : `${c.approval.rule.atLeast}`;
  const role = `${c.approval.approverRole ?? 'admin'}s`;
  const by =
    c.approval.orgs === 'all'
      ? `${howMany} of the orgs' ${role}`
      : c.approval.orgs === 'orderers'
        ? `${howMany} of the ordering orgs' ${role}`
        : c.approval.orgs === 'signers'
          ? `the ${role} of the orgs the channel's policy counts (at least as many as it asks)`
          : `${c.target === undefined ? "the requester's org's" : "that org's"} ${role}`;
  return `${who}; approved by ${by}`;
}

/**
 * Every command as plain text: usage, summary, who may ask and who approves, its options and its
 * details. The README's command list is this text (a test compares them).
 */
export function commandReference(prefix: string, commands: readonly CommandSpec[]): string {
  return commands
    .map((c) => {
      const flags = (c.flags ?? [])
        .filter((f) => f.help !== undefined)
        .map((f) => `    --${f.name}${f.value === undefined ? '' : ` ${f.value.placeholder}`}: ${f.help ?? ''}`);
      return [
        usageOf(prefix, c),
        `    ${c.summary} (${accessLine(c)})`,
        ...flags,
        ...(c.details === undefined ? [] : [`    ${c.details}`]),
      ].join('\n');
    })
    .join('\n');
}
