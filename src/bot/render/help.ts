import type { KnownBlock } from '@slack/types';
import { type Grammar, usageOf } from '../grammar.js';
import { escapeMrkdwn, linesToSections, section, context, LIMITS, type Rendered } from './text.js';

function flagLines(g: Grammar): string[] {
  return (g.flags ?? []).filter((f) => f.help !== undefined).map((f) => `    \`--${f.name}${f.value === undefined ? '' : ` ${f.value.placeholder}`}\` ${escapeMrkdwn(f.help ?? '')}`);
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
