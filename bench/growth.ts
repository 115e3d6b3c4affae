import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse, stringify } from 'yaml';
import { connectKube, type Kube } from '../src/k8s/client.js';
import { LABELS, PART_OF_FABRIC } from '../src/k8s/labels.js';
import { watchFabricPods } from '../src/k8s/pod-watch.js';
import { SlackEmulator } from '../test/slack/emulator.js';
import { fabricPods } from '../src/k8s/status.js';
import { binary } from '../test/infra/env/binaries.js';
import type { EnvDetails } from '../test/infra/env/environment.js';
import { median, mib, ms, privateRedis, rssBytes, sleep, startServer, type BenchOptions, type BenchResult, type Row } from './lib.js';

const run = promisify(execFile);
const CONFIG = path.resolve('test/support/test-config.yaml');
/** Pods a bench node holds; kwok's own nodes hold 110, so the bench brings nodes of its own. */
const PODS_PER_NODE = 1000;

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Requests and response bytes of everything this process asks over undici while `work` runs. */
async function metered<T>(work: () => Promise<T>): Promise<{ value: T; calls: number; bytes: number; ms: number }> {
  let calls = 0;
  let bytes = 0;
  const onCreate = (): void => void calls++;
  const onChunk = (message: unknown): void => {
    bytes += (message as { chunk: Uint8Array }).chunk.byteLength;
  };
  diagnostics.subscribe('undici:request:create', onCreate);
  diagnostics.subscribe('undici:request:bodyChunkReceived', onChunk);
  const t0 = performance.now();
  try {
    const value = await work();
    return { value, calls, bytes, ms: performance.now() - t0 };
  } finally {
    diagnostics.unsubscribe('undici:request:create', onCreate);
    diagnostics.unsubscribe('undici:request:bodyChunkReceived', onChunk);
  }
}

async function growTo(kube: Kube, namespace: string, nodes: string[], from: number, to: number): Promise<void> {
  const labels = { [LABELS.partOf]: PART_OF_FABRIC, [LABELS.component]: 'peer', [LABELS.org]: 'org1' };
  for (let i = from; i < to; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, to - i) }, (_, j) =>
        kube.core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name: `peer-${i + j}`, labels },
            // Placed by the bench, as the scheduler (50 bindings a second) would take minutes for 5000.
            spec: { nodeName: nodes[(i + j) % nodes.length], containers: [{ name: 'peer', image: 'hyperledger/fabric-peer:2.5' }] },
          },
        }),
      ),
    );
  }
}

async function podScale(env: EnvDetails, opts: BenchOptions): Promise<{ rows: Row[]; notes: string[]; raw: Record<string, unknown> }> {
  const sizes = opts.short ? [50, 200] : [50, 500, 5000];
  const rounds = opts.short ? 2 : 5;
  const kube = connectKube(env.kubeconfig);
  const tag = Date.now().toString(36);
  const namespace = `bench-${tag}`;
  const nodes = Array.from({ length: Math.ceil((sizes.at(-1) as number) / PODS_PER_NODE) }, (_, i) => `bench-${tag}-node-${i}`);
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  for (const name of nodes) {
    const capacity = { cpu: '512', memory: '4Ti', pods: String(PODS_PER_NODE) };
    await kube.core.createNode({
      body: {
        metadata: {
          name,
          labels: { type: 'kwok', 'kubernetes.io/hostname': name },
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'metrics.k8s.io/resource-metrics-path': `/metrics/nodes/${name}/metrics/resource` },
        },
        // Only the bench's pods, placed by name, go there.
        spec: { taints: [{ key: 'fabric-chatops/bench', effect: 'NoSchedule' }] },
        status: { allocatable: capacity, capacity },
      },
    });
  }
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  try {
    let have = 0;
    for (const size of sizes) {
      await growTo(kube, namespace, nodes, have, size);
      have = size;
      const deadline = Date.now() + 240_000;
      let withMetrics = 0;
      for (;;) {
        const pods = await fabricPods(kube, namespace, { withMetrics: true }).catch(() => []);
        withMetrics = pods.filter((p) => p.phase === 'Running' && p.usage !== undefined).length;
        if (withMetrics === size || Date.now() > deadline) break;
        await sleep(2000);
      }
      const ours: Array<{ ms: number; calls: number; bytes: number }> = [];
      for (let r = 0; r < rounds; r++) {
        const m = await metered(() => fabricPods(kube, namespace, { withMetrics: true }));
        if (m.value.length !== size) throw new Error(`status saw ${m.value.length} pods, not ${size}`);
        ours.push({ ms: m.ms, calls: m.calls, bytes: m.bytes });
      }
      const kubectl: Array<{ ms: number; calls: number }> = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        const outputs = [];
        for (const verb of ['get', 'top']) {
          outputs.push(
            await run(binary('kubectl'), ['--kubeconfig', env.kubeconfig, '-n', namespace, verb, 'pods', '-v=6'], {
              maxBuffer: 256 * 1024 * 1024,
            }),
          );
        }
        const logged = outputs.map((o) => o.stderr).join('');
        // -v=6 logs one line per response: `"Response" verb="GET" url=…` (or `GET https://… 200 OK` in older kubectl).
        const calls = (logged.match(/verb="(?:GET|POST|PUT|PATCH|DELETE)"| (?:GET|POST|PUT|PATCH|DELETE) https?:\/\//g) ?? []).length;
        kubectl.push({ ms: performance.now() - t0, calls });
      }
      const oursMs = median(ours.map((o) => o.ms));
      const theirsMs = median(kubectl.map((k) => k.ms));
      rows.push({
        what: `status + metrics of ${size} pods (${withMetrics} with metrics), median of ${rounds}: time, API calls, bytes received`,
        value: `${ms(oursMs)}, ${ours[0]?.calls} calls, ${(median(ours.map((o) => o.bytes)) / 1024).toFixed(0)} KiB`,
        baseline: `kubectl get + top ${ms(theirsMs)}, ${kubectl[0]?.calls} calls`,
        ratio: oursMs / theirsMs,
        target: 'faster, fewer calls',
        met: oursMs < theirsMs && (ours[0]?.calls ?? 0) < (kubectl[0]?.calls ?? 0),
      });
      raw[`pods${size}`] = { ours, kubectl, withMetrics };
      if (size >= 200) {
        gc();
        const before = process.memoryUsage().heapUsed;
        const watch = await watchFabricPods(kube, namespace, {
          onPod: () => undefined,
          onDelete: () => undefined,
          onError: () => undefined,
        });
        await sleep(1000);
        gc();
        const held = process.memoryUsage().heapUsed - before;
        const seen = watch.pods().length;
        await watch.stop();
        rows.push({
          what: `pod watcher's heap with ${size} pods (${seen} in its cache)`,
          value: mib(held),
          baseline: `${(held / size / 1024).toFixed(1)} KiB a pod`,
        });
        raw[`watch${size}`] = { held, seen };
      }
    }
    return {
      rows,
      raw,
      notes: [
        "the pods are the bench's own (one container, no volumes) on kwok nodes it adds; real Fabric pods are larger objects",
        'kubectl starts a process and reads its discovery cache each time; our figure is one call from a running process, as the bot makes it',
      ],
    };
  } finally {
    await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    for (const name of nodes) await kube.core.deleteNode({ name }).catch(() => undefined);
  }
}

/** Start-up time and memory of the bot (ROLE=all) with 1, 10 and 100 networks configured. */
export async function startup(opts: BenchOptions): Promise<BenchResult> {
  const counts = opts.short ? [1, 10] : [1, 10, 100];
  const base = parse(readFileSync(CONFIG, 'utf8')) as {
    networks: Array<Record<string, unknown>>;
    members: Array<Record<string, unknown>>;
  };
  const template = base.networks[0] as Record<string, unknown>;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fco-bench-networks-'));
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const redis = await privateRedis();
  try {
    for (const count of counts) {
      const names = Array.from({ length: count }, (_, i) => `net${i}`);
      const config = {
        ...base,
        networks: names.map((name, i) => ({
          ...template,
          name,
          namespace: `fabric-${name}`,
          channels: [`C0OPS${i}`],
          alertChannel: `C0ALERTS${i}`,
        })),
        members: names.flatMap((network) => base.members.map((m) => ({ ...m, network }))),
      };
      const file = path.join(dir, `networks-${count}.yaml`);
      writeFileSync(file, stringify(config));
      const token = `xoxb-${randomBytes(8).toString('hex')}`;
      const slack = await SlackEmulator.start({
        botToken: token,
        signingSecret: 'bench',
        channels: names.flatMap((_, i) => [`C0OPS${i}`, `C0ALERTS${i}`]),
        users: [{ id: 'U0ALICE', name: 'alice' }],
      });
      const samples: Array<{ startMs: number; rss: number }> = [];
      for (let r = 0; r < (opts.short ? 1 : 3); r++) {
        const t0 = performance.now();
        const bot = await startServer('dist/main.js', {
          ROLE: 'all',
          SLACK_BOT_TOKEN: token,
          SLACK_SIGNING_SECRET: 'bench',
          SLACK_API_URL: slack.apiUrl,
          REDIS_URL: redis.url,
          FABRIC_CHATOPS_CONFIG: file,
        });
        const startMs = performance.now() - t0;
        await sleep(2000);
        samples.push({ startMs, rss: rssBytes(bot.child.pid as number) });
        await bot.stop();
      }
      await slack.stop();
      const startMs = median(samples.map((s) => s.startMs));
      const rss = median(samples.map((s) => s.rss));
      rows.push({
        what: `bot start-up (ROLE=all) with ${count} network${count === 1 ? '' : 's'}: time to /healthz, RSS 2 s later`,
        value: `${ms(startMs)}, ${mib(rss)}`,
      });
      raw[`networks${count}`] = samples;
    }
    return {
      name: 'startup',
      short: opts.short,
      rows,
      raw,
      notes: [
        'each network has its own job queue, so its own BullMQ worker and blocking Redis connection; the bot reads no cluster at start',
      ],
    };
  } finally {
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How the cost of the bot's reads grows with the cluster: status + metrics at 50, 500 and 5000 pods
 * (time, API calls and bytes, against kubectl get + top), and the heap the pod watcher holds.
 */
export async function growth(env: EnvDetails, opts: BenchOptions): Promise<BenchResult> {
  return { name: 'growth', short: opts.short, ...(await podScale(env, opts)) };
}
