import type { KnownBlock } from '@slack/types';

/** Slack's own limits (Block Kit reference). */
export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  actionsElements: 25,
  buttonValue: 2000,
  buttonText: 75,
  headerText: 150,
  updateText: 4000,
} as const;

export interface Rendered {
  /** Fallback text for notifications and screen readers. */
  text: string;
  blocks?: KnownBlock[];
}

/** Escapes the three characters mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } };
}

export function context(...texts: string[]): KnownBlock {
  return {
    type: 'context',
    elements: texts.slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn' as const, text: truncate(t, LIMITS.fieldText) })),
  };
}

export function fields(pairs: ReadonlyArray<{ label: string; value: string }>): KnownBlock {
  return {
    type: 'section',
    fields: pairs.slice(0, LIMITS.sectionFields).map((p) => ({
      type: 'mrkdwn' as const,
      text: truncate(`*${escapeMrkdwn(p.label)}*\n${escapeMrkdwn(p.value)}`, LIMITS.fieldText),
    })),
  };
}

/** Joins lines into as few sections as Slack's per-section limit allows, at most `maxBlocks`. */
export function linesToSections(lines: readonly string[], maxBlocks: number): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  let current = '';
  for (const [i, line] of lines.entries()) {
    const candidate = current === '' ? line : `${current}\n${line}`;
    if (candidate.length <= LIMITS.sectionText) {
      current = candidate;
      continue;
    }
    if (blocks.length + 1 >= maxBlocks) {
      blocks.push(section(`${current}\n_…and ${lines.length - i} more_`));
      return blocks;
    }
    blocks.push(section(current));
    current = truncate(line, LIMITS.sectionText);
  }
  if (current !== '') blocks.push(section(current));
  return blocks;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m} min ${s} s`;
}

export function formatTime(epochMs: number): string {
  // Slack renders <!date^…> in each reader's own time zone.
  const seconds = Math.floor(epochMs / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time_secs}|${new Date(epochMs).toISOString()}>`;
}

/**
 * A message's fallback `text` as Slack reads it (as mrkdwn): escaped like blocks, so that what a
 * person typed cannot turn into <!channel>, a link or a mention; the user mentions and dates the
 * bot writes itself stay as they are.
 */
export function slackText(text: string): string {
  return escapeMrkdwn(text).replace(/&lt;(@[UW][A-Z0-9]+|!date\^[0-9]+\^[^|&]*\|[^&]*)&gt;/g, '<$1>');
}
