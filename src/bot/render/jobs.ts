import type { AuditRecord } from '../../jobs/services/audit.js';
import type { JobView } from '../../jobs/engine/types.js';
import { LIMITS, context, escapeMrkdwn, formatTime, linesToSections, section, truncate, type Rendered } from './text.js';

const icon: Record<JobView['state'], string> = {
  queued: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  retrying: ':repeat:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

export function renderJobList(jobs: readonly JobView[]): Rendered {
  if (jobs.length === 0) return { text: 'No jobs yet.', blocks: [section('No jobs yet.')] };
  const lines = jobs.map(
    (j) =>
      `${icon[j.state]} \`${j.id}\` ${j.state} — \`${escapeMrkdwn(truncate(j.command, 80))}\` ` +
      `by <@${j.requester.userId}> ${formatTime(j.queuedAt)}`,
  );
  return {
    text: jobs.map((j) => `${j.id} ${j.state} ${j.command}`).join('\n'),
    blocks: [section(`*Latest ${jobs.length} jobs*`), ...linesToSections(lines, LIMITS.blocksPerMessage - 1)],
  };
}

export function renderAudit(records: readonly AuditRecord[]): Rendered {
  if (records.length === 0) return { text: 'The audit trail is empty.', blocks: [section('The audit trail is empty.')] };
  const lines = records.map((r) => {
    const who = r.actor === 'system' ? 'system' : `<@${r.actor}>`;
    const target = r.target !== undefined ? ` \`${escapeMrkdwn(truncate(r.target, 60))}\`` : '';
    const detail = r.detail !== undefined ? ` — ${escapeMrkdwn(truncate(r.detail, 160))}` : '';
    return `${formatTime(r.at)} ${who} *${escapeMrkdwn(r.action)}*${target} → ${r.result}${detail}`;
  });
  return {
    text: records.map((r) => `${new Date(r.at).toISOString()} ${r.actor} ${r.action} ${r.result}`).join('\n'),
    blocks: [...linesToSections(lines, LIMITS.blocksPerMessage - 1), context(`${records.length} latest entries, newest first`)],
  };
}
