import type { V1Pod } from '@kubernetes/client-node';
import { podReady } from './status.js';

export type ProblemReason = 'CrashLoopBackOff' | 'OOMKilled' | 'Restarts' | 'NotReady' | 'Pending';

export interface PodProblem {
  reason: ProblemReason;
  detail: string;
}

export interface HealthThresholds {
  restarts: number;
  notReadyMinutes: number;
  pendingMinutes: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = { restarts: 5, notReadyMinutes: 5, pendingMinutes: 10 };

const minutesSince = (iso: string | Date | undefined, now: number): number =>
  iso === undefined ? 0 : (now - new Date(iso).getTime()) / 60_000;

/** What is wrong with a pod now, one entry per reason; empty when it is healthy. */
export function podProblems(pod: V1Pod, now: number, t: HealthThresholds = DEFAULT_THRESHOLDS): PodProblem[] {
  if (pod.metadata?.deletionTimestamp !== undefined) return [];
  const problems: PodProblem[] = [];
  // An init container that keeps failing (a peer whose identity is gone) holds the pod in
  // Init:CrashLoopBackOff: as much a crash loop as the main container's.
  const inits = new Set((pod.status?.initContainerStatuses ?? []).map((c) => c.name));
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const named = (c: { name: string }): string => (inits.has(c.name) ? `init container ${c.name}` : c.name);
  const crashing = statuses.filter((c) => c.state?.waiting?.reason === 'CrashLoopBackOff');
  if (crashing.length > 0)
    problems.push({
      reason: 'CrashLoopBackOff',
      detail: `${crashing.map(named).join(', ')} keeps crashing (${crashing.reduce((n, c) => n + c.restartCount, 0)} restarts)`,
    });
  const oom = statuses.filter((c) => c.state?.terminated?.reason === 'OOMKilled' || c.lastState?.terminated?.reason === 'OOMKilled');
  if (oom.length > 0) problems.push({ reason: 'OOMKilled', detail: `${oom.map(named).join(', ')} ran out of memory` });
  const restarts = statuses.reduce((n, c) => n + c.restartCount, 0);
  if (restarts > t.restarts) problems.push({ reason: 'Restarts', detail: `${restarts} restarts (threshold ${t.restarts})` });
  const phase = pod.status?.phase;
  if (phase === 'Pending') {
    const m = minutesSince(pod.metadata?.creationTimestamp, now);
    if (m >= t.pendingMinutes)
      problems.push({
        reason: 'Pending',
        detail: `Pending for ${Math.floor(m)} min${pod.status?.reason !== undefined ? ` (${pod.status.reason})` : ''}`,
      });
  } else if (phase === 'Running' && !podReady(pod)) {
    const since = pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? pod.status?.startTime;
    const m = minutesSince(since, now);
    if (m >= t.notReadyMinutes) problems.push({ reason: 'NotReady', detail: `not Ready for ${Math.floor(m)} min` });
  }
  return problems;
}
