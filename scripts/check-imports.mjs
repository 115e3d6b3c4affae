#!/usr/bin/env node
// The layers point one way (bot → jobs → k8s / fabric) and no module imports itself round a cycle.
// Reads every import of src/ (type-only ones too) and fails, naming each offending import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'src');
/** What each part of src/ may import, besides itself. Parts not listed here may import nothing of src/. */
const allowed = {
  bot: ['jobs', 'config', 'log', 'metrics', 'retry'],
  jobs: ['k8s', 'fabric', 'config', 'log', 'metrics', 'outage', 'retry'],
  k8s: ['config', 'log', 'outage', 'retry'],
  fabric: ['config', 'log', 'outage', 'retry'],
  config: [],
  console: [],
  runtime: ['config', 'console', 'metrics'],
  main: ['start', 'bot', 'config', 'jobs', 'log'],
  start: ['*'],
  'start-worker': ['*'],
  /** The peer pods' init container (node dist/peer-identity.js): the identity, nothing of Slack or jobs. */
  'peer-identity': ['k8s', 'fabric', 'retry'],
  log: [],
  metrics: [],
  outage: [],
  retry: [],
};
/**
 * Within the parts: modules a part may not reach even where the part is allowed. The Slack edge
 * knows jobs by their kinds, services and engine types, never the worker or the handlers (which
 * hold the clients and keys); the engine runs any kind and knows none of the handlers or watchers.
 */
const forbidden = {
  bot: ['jobs/engine/worker.ts', 'jobs/catalog/handlers/'],
  'jobs/engine': ['jobs/catalog/handlers/', 'jobs/watchers/'],
  'jobs/services': ['jobs/engine/worker.ts', 'jobs/catalog/handlers/', 'jobs/watchers/'],
  'jobs/catalog': ['jobs/watchers/'],
};

/**
 * The project's own workspace packages, by bare name: the parts of src/ that may import each. The
 * Slack emulator is the local console's; its fault injection entry point is for tests only.
 */
const packages = {
  '@fabric-chatops/slack-emulator': ['console'],
  '@fabric-chatops/slack-emulator/faults': [],
};

/**
 * Packages of the worker side: the Slack edge (src/main.ts and src/start.ts, with everything they
 * import at load time) must not load them; they are imported when a process runs workers.
 */
const workerSidePackages = [
  '@kubernetes/client-node',
  '@grpc/grpc-js',
  '@hyperledger/fabric-gateway',
  '@hyperledger/fabric-protos',
  'fabric-ca-client',
  'fabric-common',
  'google-protobuf',
  'jsrsasign',
  '@fabric-chatops/slack-emulator',
];
const edgeEntries = ['main.ts', 'start.ts'];

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
};
walk(root);

const partOf = (file) => path.relative(root, file).split(path.sep)[0].replace(/\.ts$/, '');
const problems = [];
const graph = new Map();
const loadGraph = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const targets = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
    const target = path.resolve(path.dirname(file), m[1].replace(/\.js$/, '.ts'));
    targets.push(target);
    const from = partOf(file);
    const to = partOf(target);
    const may = allowed[from];
    if (may === undefined)
      problems.push(`${path.relative(root, file)}: src/${from} is not a known part of src/ (add it to scripts/check-imports.mjs)`);
    else if (from !== to && !may.includes('*') && !may.includes(to))
      problems.push(`${path.relative(root, file)} imports ${path.relative(root, target)}: ${from} may not import ${to}`);
    const rel = path.relative(root, file);
    const relTarget = path.relative(root, target);
    for (const [inside, banned] of Object.entries(forbidden)) {
      if (!rel.startsWith(`${inside}/`)) continue;
      const hit = banned.find((b) => relTarget === b || (b.endsWith('/') && relTarget.startsWith(b)));
      if (hit !== undefined) problems.push(`${rel} imports ${relTarget}: ${inside} may not import ${hit}`);
    }
  }
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](@fabric-chatops\/[^'"]+)['"]/gm)) {
    const rel = path.relative(root, file);
    const from = partOf(file);
    const may = packages[m[1]];
    if (may === undefined) problems.push(`${rel} imports ${m[1]}: not a known package (add it to scripts/check-imports.mjs)`);
    else if (!may.includes(from)) problems.push(`${rel} imports ${m[1]}: src/${from} may not import it`);
  }
  graph.set(file, targets);
  // What a module needs when it loads: its imports that are not type-only (dynamic import() is not one).
  const loads = [];
  for (const m of text.matchAll(/^\s*(import|export)\s([^'"]*?)\s*from\s+['"]([^'"]+)['"]/gm)) {
    const [, , clause, spec] = m;
    const typeOnly =
      /^type\s/.test(clause) ||
      (/^\{[^}]*\}$/s.test(clause.trim()) &&
        clause
          .replace(/[{}]/g, '')
          .split(',')
          .every((x) => /^\s*(type\s|$)/.test(x)));
    if (!typeOnly) loads.push(spec);
  }
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) loads.push(m[1]);
  loadGraph.set(
    file,
    loads.map((spec) => (spec.startsWith('.') ? path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')) : spec)),
  );
}

// The edge's load-time closure.
const reachedFrom = new Map();
const pending = edgeEntries.map((f) => path.join(root, f)).filter((f) => loadGraph.has(f));
for (const f of pending) reachedFrom.set(f, undefined);
while (pending.length > 0) {
  const file = pending.pop();
  for (const next of loadGraph.get(file) ?? []) {
    if (path.isAbsolute(next)) {
      if (!reachedFrom.has(next)) {
        reachedFrom.set(next, file);
        pending.push(next);
      }
      continue;
    }
    const pkg = workerSidePackages.find((p) => next === p || next.startsWith(`${p}/`));
    if (pkg === undefined) continue;
    const chain = [];
    for (let at = file; at !== undefined; at = reachedFrom.get(at)) chain.unshift(path.relative(root, at));
    problems.push(`the Slack edge loads ${pkg}: ${chain.join(' → ')} → ${next} (import it where workers start, or on first use)`);
  }
}

// Cycles: a depth-first walk that meets a module still on its path.
const state = new Map();
const stack = [];
const visit = (file) => {
  state.set(file, 'open');
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    if (state.get(next) === 'open') {
      const cycle = stack
        .slice(stack.indexOf(next))
        .concat(next)
        .map((f) => path.relative(root, f));
      problems.push(`import cycle: ${cycle.join(' → ')}`);
    } else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, 'done');
};
for (const file of files) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  process.stderr.write(`imports that break the layers (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`imports: ${files.length} modules, layers respected, no cycles\n`);
