import type { KnownBlock } from '@slack/types';
import type { JobState, JobView, StepRecord } from '../../jobs/engine/types.js';
import { LIMITS, context, escapeMrkdwn, fields, formatDuration, linesToSections, section, truncate, type Rendered } from './text.js';

export const CANCEL_ACTION = 'job_cancel';
export const REQUEST_AGAIN_ACTION = 'job_request_again';
/** A suggested next command's button; `_<n>` after it, as action ids are unique within a block. */
export const NEXT_COMMAND_ACTION = 'job_next_command';

export const stateLabel: Record<JobState, string> = {
  queued: ':hourglass_flowing_sand: queued',
  running: ':arrows_counterclockwise: running',
  retrying: ':repeat: waiting to retry',
  succeeded: ':white_check_mark: succeeded',
  failed: ':x: failed',
  cancelled: ':no_entry_sign: cancelled',
};

const stepIcon: Record<StepRecord['state'], string> = {
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  failed: ':x:',
};

export function stepLine(step: StepRecord): string {
  const took = step.endedAt !== undefined ? ` (${formatDuration(step.endedAt - step.startedAt)})` : '';
  const detail = step.detail !== undefined && step.detail !== '' ? ` — ${escapeMrkdwn(truncate(step.detail, 300))}` : '';
  return `${stepIcon[step.state]} ${escapeMrkdwn(step.name)}${took}${detail}`;
}

/** For a job that failed on something stale: a button asking the same command again, as whoever clicks. */
export function requestAgainBlock(job: JobView): KnownBlock | undefined {
  const value = `${job.network}/${job.command.slice(job.command.indexOf(' ') + 1)}`;
  if (job.state !== 'failed' || job.requestAgain !== true || !job.command.includes(' ') || value.length > LIMITS.buttonValue)
    return undefined;
  return {
    type: 'actions',
    block_id: 'job_request_again',
    // The network it was asked in, then the command as typed.
    elements: [{ type: 'button', action_id: REQUEST_AGAIN_ACTION, text: { type: 'plain_text', text: 'Request again' }, value }],
  };
}

/** A succeeded job's suggested next commands, as buttons that ask them as whoever clicks (as Request again does). */
function nextCommandsBlock(job: JobView): KnownBlock | undefined {
  const buttons = (job.state === 'succeeded' ? (job.result?.next ?? []) : [])
    .map((n) => ({ label: truncate(n.label, 75), value: `${job.network}/${n.command}` }))
    .filter((n) => n.value.length <= LIMITS.buttonValue)
    .slice(0, 5);
  if (buttons.length === 0) return undefined;
  return {
    type: 'actions',
    block_id: 'job_next_commands',
    elements: buttons.map((b, i) => ({
      type: 'button',
      action_id: `${NEXT_COMMAND_ACTION}_${i}`,
      text: { type: 'plain_text', text: b.label },
      value: b.value,
    })),
  };
}

/** The status message of one job, as it is posted and then updated in place. */
export function renderJobStatus(job: JobView): Rendered {
  const title = `\`${escapeMrkdwn(truncate(job.command, 200))}\` — ${stateLabel[job.state]}`;
  const meta = [`Job \`${job.id}\``, `requested by <@${job.requester.userId}>`];
  if (job.attempt > 1) meta.push(`attempt ${job.attempt} of ${job.maxAttempts}`);
  if (job.finishedAt !== undefined && job.startedAt !== undefined) meta.push(`took ${formatDuration(job.finishedAt - job.startedAt)}`);

  const blocks: KnownBlock[] = [section(`*${title}*`), context(...meta)];
  const budget = LIMITS.blocksPerMessage - 6;
  if (job.steps.length > 0) blocks.push(...linesToSections(job.steps.map(stepLine), budget));
  if (job.result !== undefined && job.state === 'succeeded') {
    blocks.push(section(escapeMrkdwn(job.result.summary)));
    if (job.result.fields !== undefined && job.result.fields.length > 0) blocks.push(fields(job.result.fields));
  }
  if (job.error !== undefined && job.state !== 'succeeded') {
    // While a retry runs, the error is the previous attempt's.
    const why = job.state === 'retrying' ? 'Will retry after' : job.state === 'running' ? `Attempt ${job.attempt - 1} failed` : 'Why';
    blocks.push(section(`*${why}:* ${escapeMrkdwn(truncate(job.error, 2500))}`));
  }
  if (job.state === 'queued' || job.state === 'running' || job.state === 'retrying') {
    blocks.push({
      type: 'actions',
      block_id: 'job_actions',
      elements: [
        {
          type: 'button',
          action_id: CANCEL_ACTION,
          text: { type: 'plain_text', text: 'Cancel' },
          value: job.id,
          style: 'danger',
          confirm: {
            title: { type: 'plain_text', text: 'Cancel this job?' },
            text: { type: 'plain_text', text: 'Steps already done stay done.' },
            confirm: { type: 'plain_text', text: 'Cancel job' },
            deny: { type: 'plain_text', text: 'Keep running' },
          },
        },
      ],
    });
  }
  const again = requestAgainBlock(job);
  if (again !== undefined) blocks.push(again);
  const next = nextCommandsBlock(job);
  if (next !== undefined) blocks.push(next);
  const summary = job.state === 'succeeded' && job.result !== undefined ? `: ${job.result.summary}` : '';
  const error = job.error !== undefined && job.state !== 'succeeded' ? `: ${job.error}` : '';
  const text = `${job.command} — ${job.state}${summary}${error}`;
  return { text: truncate(text, LIMITS.updateText), blocks };
}
