import type { V1Pod } from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import type { NetworkConfig } from '../../config/model.js';
import { LABELS } from '../../k8s/labels.js';
import { DEFAULT_THRESHOLDS, podProblems, type HealthThresholds, type PodProblem } from '../../k8s/pod-health.js';
import { podLogTail, watchFabricPods, type PodWatch } from '../../k8s/pod-watch.js';
import { scrubText, type Logger } from '../../log.js';
import type { AuditLog } from '../services/audit.js';
import { KEY_PREFIX } from '../engine/redis.js';
import type { Platform } from '../services/platform.js';

export interface PodAlert {
  network: string;
  namespace: string;
  channel: string;
  pod: string;
  org?: string;
  problem: PodProblem;
  logTail: string;
}

export interface PodRecovery {
  network: string;
  namespace: string;
  channel: string;
  pod: string;
  reasons: string[];
}

/** Where alerts go; the bot posts them to the network's alert channel. */
export interface AlertSink {
  alert(a: PodAlert): Promise<void>;
  recovered(r: PodRecovery): Promise<void>;
}

export interface AlertOptions {
  thresholds?: HealthThresholds;
  /** Alerts posted per channel per minute at most; more are recorded and logged, not posted. */
  maxPerMinute?: number;
  /** How often time-based conditions (NotReady, Pending) are looked at again. */
  recheckMs?: number;
}

const openKey = (network: string, pod: string): string => `${KEY_PREFIX}:alerts:${network}:${pod}`;

/**
 * Watches the Fabric pods of every network that has an alert channel. Any number of replicas may
 * run it: an alert is claimed with HSETNX and a recovery with HDEL, so exactly one replica posts
 * each, once per pod and reason until the pod recovers.
 */
export class AlertMonitor {
  private readonly watches: { network: NetworkConfig; watch: PodWatch }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly thresholds: HealthThresholds;

  constructor(
    private readonly redis: Redis,
    private readonly platform: Platform,
    private readonly sink: AlertSink,
    private readonly audit: AuditLog,
    private readonly log: Logger,
    private readonly opts: AlertOptions = {},
  ) {
    this.thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS;
  }

  async start(): Promise<void> {
    const networks = this.platform.config.networks.filter((n) => n.alertChannel !== undefined);
    for (const network of networks) {
      const watch = await watchFabricPods(this.platform.kube(), network.namespace, {
        onPod: (pod) => this.evaluate(network, pod),
        onDelete: (pod) => this.forget(network, pod),
        onError: (err) => this.log.warn({ err, namespace: network.namespace }, 'pod watch error; restarting the watch'),
      });
      this.watches.push({ network, watch });
      this.timer ??= setInterval(() => void this.recheck(), this.opts.recheckMs ?? 30_000);
    }
    if (networks.length > 0) this.log.info({ namespaces: networks.map((n) => n.namespace) }, 'watching Fabric pods for alerts');
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await Promise.all(this.watches.map((w) => w.watch.stop()));
  }

  private async recheck(): Promise<void> {
    for (const { network, watch } of this.watches) {
      for (const pod of watch.pods())
        await this.evaluate(network, pod).catch((err: unknown) => this.log.warn({ err }, 'alert recheck failed'));
    }
  }

  async evaluate(network: NetworkConfig, pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name;
    const channel = network.alertChannel;
    if (name === undefined || channel === undefined) return;
    const problems = podProblems(pod, Date.now(), this.thresholds);
    const key = openKey(network.name, name);
    for (const problem of problems) {
      const claimed = await this.redis.hsetnx(key, problem.reason, JSON.stringify({ at: Date.now(), detail: problem.detail }));
      if (claimed !== 1) continue;
      await this.redis.expire(key, 7 * 24 * 3600);
      await this.audit.append({
        actor: 'system',
        action: 'alert.raised',
        target: `${network.namespace}/${name}`,
        result: 'info',
        network: network.name,
        detail: `${problem.reason}: ${problem.detail}`,
      });
      if (!(await this.withinRate(channel))) {
        this.log.warn({ pod: name, reason: problem.reason }, 'alert not posted: alert rate limit for the channel reached');
        continue;
      }
      // Logs can carry anything: scrubbed here, before they are handed on or posted.
      const logTail = scrubText(await podLogTail(this.platform.kube(), network.namespace, name));
      await this.sink.alert({
        network: network.name,
        namespace: network.namespace,
        channel,
        pod: name,
        org: pod.metadata?.labels?.[LABELS.org],
        problem,
        logTail,
      });
    }
    const open = await this.redis.hkeys(key);
    const current = new Set(problems.map((p) => p.reason));
    const cleared = open.filter((reason) => !current.has(reason as PodProblem['reason']));
    if (cleared.length === 0 || !isRecovered(pod)) return;
    const mine: string[] = [];
    for (const reason of cleared) if ((await this.redis.hdel(key, reason)) === 1) mine.push(reason);
    if (mine.length === 0) return;
    await this.audit.append({
      actor: 'system',
      action: 'alert.recovered',
      target: `${network.namespace}/${name}`,
      result: 'info',
      network: network.name,
      detail: mine.join(', '),
    });
    await this.sink.recovered({ network: network.name, namespace: network.namespace, channel, pod: name, reasons: mine });
  }

  private async forget(network: NetworkConfig, pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name;
    if (name !== undefined) await this.redis.del(openKey(network.name, name));
  }

  private async withinRate(channel: string): Promise<boolean> {
    const key = `${KEY_PREFIX}:alerts:rate:${channel}:${Math.floor(Date.now() / 60_000)}`;
    const n = await this.redis.incr(key);
    if (n === 1) await this.redis.expire(key, 120);
    return n <= (this.opts.maxPerMinute ?? 10);
  }
}

/** Recovered means Running and Ready again, not merely "no longer matching a rule". */
function isRecovered(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}
