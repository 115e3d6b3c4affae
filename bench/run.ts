import { startEnvironment } from '../test/infra/env/environment.js';
import { caEnroll, deploy } from './cluster.js';
import { growth, startup } from './growth.js';
import { ackLatency, queueLatency, slackUpdates } from './edge.js';
import { peersScale } from './peers-scale.js';
import { addOrg } from './add-org.js';
import { printResult, saveResult, type BenchOptions, type BenchResult } from './lib.js';

// npm run bench [-- --short] [-- --only NAME,NAME]
const args = process.argv.slice(2);
const opts: BenchOptions = { short: args.includes('--short') };
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : undefined;
const wanted = (name: string): boolean => only === undefined || only.includes(name);

const results: BenchResult[] = [];
const record = (r: BenchResult): void => {
  printResult(r);
  process.stdout.write(`   written to ${saveResult(r)}\n`);
  results.push(r);
};

const local: Array<[string, (o: BenchOptions) => Promise<BenchResult>]> = [
  ['ack-latency', ackLatency],
  ['queue-latency', queueLatency],
  ['slack-updates', slackUpdates],
  ['startup', startup],
];
for (const [name, bench] of local) if (wanted(name)) record(await bench(opts));

const onCluster = [
  ['ca-enroll', caEnroll],
  ['deploy', deploy],
  ['growth', growth],
  // Last: it makes org3 a member of mychannel.
  ['add-org', addOrg],
] as const;
if (onCluster.some(([name]) => wanted(name))) {
  process.stdout.write('\nstarting the local Kubernetes and Fabric environment…\n');
  const env = await startEnvironment();
  try {
    for (const [name, bench] of onCluster) if (wanted(name)) record(await bench(env.details, opts));
  } finally {
    await env.stop();
  }
}

// On a real node of its own (one per machine), so after the environment above has stopped.
if (wanted('peers-scale')) record(await peersScale(opts));

const missed = results.flatMap((r) => r.rows.filter((row) => row.met === false).map((row) => `${r.name}: ${row.what}`));
process.stdout.write(`\n${results.length} benchmarks; targets missed: ${missed.length === 0 ? 'none' : `\n  ${missed.join('\n  ')}`}\n`);
process.exit(0);
