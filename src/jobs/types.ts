/** Plain data that jobs report; the bot turns it into Slack messages. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

export interface Requester {
  userId: string;
  org?: string;
  role?: string;
}

/** What a job is asked to do. Stored in clear text in Redis: ids and parameters only, never secrets. */
export interface JobRequest {
  type: string;
  params: Record<string, JsonValue>;
  requester: Requester;
  /** Slack channel the request came from and where the status message goes. */
  channel: string;
  /** The network the job acts on: its queue, and the only place it can be seen from. */
  network: string;
  /** The org the job acts on, when it acts on one (its operators may cancel it). */
  targetOrg?: string;
  /** The command as typed, for display. */
  command: string;
  requestedAt: number;
}

export interface StatusMessageRef {
  channel: string;
  ts: string;
}

/** BullMQ job data: the request plus where its status message lives once posted. */
export interface JobData extends JobRequest {
  statusMessage?: StatusMessageRef;
}

export type StepState = 'running' | 'done' | 'failed';

export interface StepRecord {
  name: string;
  state: StepState;
  detail?: string;
  startedAt: number;
  endedAt?: number;
  /** JSON result kept so that a resumed job can skip the step. */
  result?: JsonValue;
}

export interface JobProgress {
  steps: StepRecord[];
  attempt: number;
}

export interface JobResult {
  summary: string;
  fields?: Array<{ label: string; value: string }>;
}

export type JobState = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

export const finalStates: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);

/** Everything a person may want to know about one job. */
export interface JobView {
  id: string;
  type: string;
  command: string;
  requester: Requester;
  targetOrg?: string;
  channel: string;
  network: string;
  state: JobState;
  steps: StepRecord[];
  attempt: number;
  maxAttempts: number;
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  result?: JobResult;
  error?: string;
  /** When the job is waiting to be retried. */
  nextAttemptAt?: number;
}
