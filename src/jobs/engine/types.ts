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

/**
 * A step of a job: `key` identifies it across attempts and releases (a resumed job skips the steps
 * whose key is done), `title` is what people read and may be reworded freely.
 */
export interface StepSpec {
  key: string;
  title: string;
}

export interface StepRecord {
  /** Stable across releases; absent in records written before steps had keys. */
  key?: string;
  /** The title shown. */
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
  /** Commands the result suggests, each a button that asks it as whoever clicks (normal parse and authorisation). */
  next?: Array<{ label: string; command: string }>;
}

export type JobState = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

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
  /** It failed on something stale: the same command asked again would plan it anew. */
  requestAgain?: boolean;
}

/** Where a job's visible state goes: the bot renders it as a Slack message updated in place. */
export interface JobReporter {
  /** Returns the message the status lives in (posted on first call). `final` calls must be delivered before returning. */
  publish(view: JobView, message: StatusMessageRef | undefined, final: boolean): Promise<StatusMessageRef | undefined>;
  /** An approval request changed (for instance Fabric's readiness): show it again. */
  approvalChanged?(approvalId: string): Promise<void>;
}
