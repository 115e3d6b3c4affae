import type { KnownBlock } from '@slack/types';
import type { LedgerHeight, NetworkStatus, OrdererChannelState } from '../../jobs/services/queries.js';
import type { PodStatus } from '../../jobs/services/queries.js';
import { LIMITS, context, escapeMrkdwn, fields, linesToSections, section, truncate, type Rendered } from './text.js';

export const PODS_PER_PAGE = 60;

function age(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

function cpu(p: PodStatus): string {
  if (p.usage === undefined) return '–';
  return `${Math.round(p.usage.reduce((n, c) => n + c.cpuMillicores, 0))}m`;
}

function mem(p: PodStatus): string {
  if (p.usage === undefined) return '–';
  return `${Math.round(p.usage.reduce((n, c) => n + c.memoryBytes, 0) / 1024 ** 2)}Mi`;
}

const healthy = (p: PodStatus): boolean => p.ready && p.phase === 'Running';

function podLine(p: PodStatus, withMetrics: boolean): string {
  const mark = healthy(p) ? '✓' : '✗';
  const restarts = String(p.restarts).padStart(3);
  const base = `${mark} ${p.name.padEnd(28)} ${p.phase.padEnd(9)} restarts ${restarts}  age ${age(p.ageSeconds).padStart(4)}`;
  const usage = withMetrics ? `  cpu ${cpu(p).padStart(6)} mem ${mem(p).padStart(7)}` : '';
  const why = p.reason !== undefined && !healthy(p) ? `  ${p.reason}` : '';
  return truncate(`${base}${usage}${why}`, 200);
}

/**
 * A summary per org and component first (always fits), then one page of pods as
 * preformatted lines; `page` selects which. Stays inside Slack's 50 blocks and 3000 characters.
 */
export function renderStatus(
  status: NetworkStatus,
  opts: { withMetrics: boolean; page: number; command: string; behindLimit?: number },
): Rendered {
  const { pods } = status;
  const groups = new Map<string, PodStatus[]>();
  for (const p of pods) {
    const key = `${p.org ?? 'shared'} ${p.component ?? 'other'}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const summary = [...groups.entries()].map(([key, list]) => {
    const ready = list.filter(healthy).length;
    const restarts = list.reduce((n, p) => n + p.restarts, 0);
    return { label: key, value: `${ready}/${list.length} ready${restarts > 0 ? `, ${restarts} restarts` : ''}` };
  });
  const unhealthy = pods.filter((p) => !healthy(p));
  const pages = Math.max(1, Math.ceil(pods.length / PODS_PER_PAGE));
  const page = Math.min(Math.max(1, opts.page), pages);
  const shown = pods.slice((page - 1) * PODS_PER_PAGE, page * PODS_PER_PAGE);

  const blocks: KnownBlock[] = [
    section(
      `*${escapeMrkdwn(status.network)}* — ${pods.length} Fabric pods in \`${escapeMrkdwn(status.namespace)}\`, ` +
        `${pods.length - unhealthy.length} ready`,
    ),
  ];
  for (let i = 0; i < summary.length && blocks.length < 8; i += LIMITS.sectionFields)
    blocks.push(fields(summary.slice(i, i + LIMITS.sectionFields)));
  const lagging = (status.ledgers ?? []).filter((l) => l.error !== undefined || (l.behind ?? 0) > (opts.behindLimit ?? 0));
  if (status.ledgers !== undefined) blocks.push(...renderLedgers(status.ledgers, opts.behindLimit ?? 0));
  if (status.orderers !== undefined) blocks.push(...renderOrderers(status.orderers));
  if (unhealthy.length > 0) {
    const list = unhealthy
      .slice(0, 15)
      .map((p) => `• \`${escapeMrkdwn(p.name)}\` ${escapeMrkdwn(p.reason ?? p.phase)}${p.restarts > 0 ? `, ${p.restarts} restarts` : ''}`);
    if (unhealthy.length > 15) list.push(`…and ${unhealthy.length - 15} more`);
    blocks.push(section(`:warning: *Not ready*\n${list.join('\n')}`));
  }
  // Each preformatted chunk stays below the section limit once wrapped in ``` fences.
  let chunk: string[] = [];
  const flush = (): void => {
    if (chunk.length > 0) blocks.push(section(`\`\`\`${chunk.join('\n')}\`\`\``));
    chunk = [];
  };
  for (const p of shown) {
    const line = escapeMrkdwn(podLine(p, opts.withMetrics));
    if ([...chunk, line].join('\n').length > LIMITS.sectionText - 10) flush();
    chunk.push(line);
  }
  flush();
  if (pages > 1) blocks.push(context(`Page ${page} of ${pages}. \`${opts.command} --page ${Math.min(page + 1, pages)}\` for more.`));
  if (opts.withMetrics && pods.every((p) => p.usage === undefined) && pods.length > 0)
    blocks.push(context('No metrics from metrics.k8s.io for these pods yet.'));

  const laggingPeers = new Set(lagging.map((l) => l.pod)).size;
  const behind = laggingPeers > 0 ? `, ${laggingPeers} peers behind or unreachable` : '';
  const text = `${status.network}: ${pods.length - unhealthy.length}/${pods.length} Fabric pods ready${behind}`;
  return { text, blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}

/**
 * Per channel, each orderer's place in it as its participation API says (an active consenter is
 * well; a follower is shown as such), and which one leads the Raft cluster, where its metrics say.
 */
function renderOrderers(states: OrdererChannelState[]): KnownBlock[] {
  const lines: string[] = ['*Ordering service* (each orderer’s channel participation API)'];
  for (const channel of [...new Set(states.map((o) => o.channel))]) {
    lines.push(`\`${escapeMrkdwn(channel)}\``);
    for (const o of states.filter((s) => s.channel === channel)) {
      const where = `\`${escapeMrkdwn(o.orderer)}\``;
      if (o.relation === undefined) lines.push(`    :x: ${where} ${escapeMrkdwn(truncate(o.error ?? 'no answer', 160))}`);
      else {
        const well = o.relation === 'consenter' && o.state === 'active';
        const icon = well ? ':white_check_mark:' : o.relation === 'follower' && o.state === 'active' ? ':large_blue_circle:' : ':warning:';
        const leads = o.leader === true ? ', *Raft leader*' : '';
        lines.push(`    ${icon} ${where} ${escapeMrkdwn(o.relation)}, ${escapeMrkdwn(o.state ?? '?')}, height ${o.height ?? '?'}${leads}`);
      }
    }
    // Leadership is known only where orderers report it; every one answering and none leading is news.
    const rows = states.filter((s) => s.channel === channel && s.relation === 'consenter');
    if (rows.length > 0 && rows.every((s) => s.leader === false)) lines.push('    :warning: no consenter says it leads the Raft cluster');
  }
  return linesToSections(lines, 4);
}

/** Heights per channel, one line per peer; a peer more than `behindLimit` blocks behind is flagged. */
function renderLedgers(ledgers: LedgerHeight[], behindLimit: number): KnownBlock[] {
  if (ledgers.length === 0) return [context('No running peer pods to ask for ledger heights.')];
  const lines: string[] = [`*Ledger heights* (a peer more than ${behindLimit} blocks behind is flagged)`];
  for (const channel of [...new Set(ledgers.map((l) => l.channel))]) {
    const rows = ledgers.filter((l) => l.channel === channel);
    const top = Math.max(0, ...rows.map((l) => l.height ?? 0));
    lines.push(`\`${escapeMrkdwn(channel)}\` — ${top} block${top === 1 ? '' : 's'}`);
    for (const l of rows) {
      const where = `\`${escapeMrkdwn(l.pod)}\``;
      if (l.height === undefined) lines.push(`    :x: ${where} unreachable: ${escapeMrkdwn(truncate(l.error ?? 'no answer', 160))}`);
      else if ((l.behind ?? 0) > behindLimit) lines.push(`    :warning: ${where} ${l.height}, *${l.behind} blocks behind*`);
      else lines.push(`    :white_check_mark: ${where} ${l.height}`);
    }
  }
  return linesToSections(lines, 4);
}
