import { binary } from './binaries.js';
import { startEnvironment } from './environment.js';
import type { NodeImage } from './real-node/images.js';

// npm run env:up: starts the environment, prints how to use it, and tears it down on Ctrl-C.
// --once: start, print, stop (a smoke check of the harness itself).
// FCO_REAL_NODE=1: with a real node (test/infra/env/node.ts) beside kwok's fake ones;
// FCO_NODE_IMAGES=fabric-peer,fabric-chatops,...: more images for it (real-node/images.ts).
const nodeImages = (process.env.FCO_NODE_IMAGES ?? '').split(',').filter((i) => i !== '') as NodeImage[];
const env = await startEnvironment({ realNode: process.env.FCO_REAL_NODE === '1', nodeImages });
const d = env.details;
const node = d.realNode;
const images = node === undefined ? '' : Object.values(node.images).join(', ');
const cas = d.cas.map((ca) => `  ${ca.org} CA: ${ca.url} (TLS root ${ca.tlsCert}; registrar enrolled in ${ca.registrarHome})`).join('\n');
const realNodeLine = node === undefined ? '' : `  real node ${node.name} at ${node.address} (images ${images}; taint ${node.taint.key})\n`;
console.log(`Test environment up in ${(env.startedInMs / 1000).toFixed(1)} s (${d.dir})

  export KUBECONFIG=${d.kubeconfig}
  export FABRIC_CHATOPS_CONFIG=${d.botConfig}
  ${binary('kubectl')} get pods -n ${d.namespace}
${realNodeLine}${cas}

Details: ${env.detailsPath}. Logs: ${d.dir}/logs. Ctrl-C stops everything.`);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await env.stop();
  console.log('stopped; nothing left running');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
if (process.argv.includes('--once')) await stop();
