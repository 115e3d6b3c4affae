import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** test/infra, where the wrapper modules pin each upstream version (also when run compiled). */
export const infraDir = path.join(repoRoot(path.dirname(fileURLToPath(import.meta.url))), 'test', 'infra');

export const cacheDir = (): string => process.env.FABRIC_CHATOPS_CACHE ?? path.join(os.homedir(), '.cache', 'fabric-chatops');

/** The version a wrapper module requires, read from its go.mod as test/infra/build.sh does. */
export function pinnedVersion(wrapper: string, module: string): string {
  const gomod = readFileSync(path.join(infraDir, wrapper, 'go.mod'), 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(gomod);
  if (m?.[1] === undefined) throw new Error(`${wrapper}/go.mod does not require ${module}`);
  return m[1];
}

const locations = {
  etcd: ['etcd', 'go.etcd.io/etcd/server/v3', 'etcd', 'etcd'],
  'kube-apiserver': ['k8s', 'k8s.io/kubernetes', 'k8s', 'kube-apiserver'],
  'kube-controller-manager': ['k8s', 'k8s.io/kubernetes', 'k8s', 'kube-controller-manager'],
  'kube-scheduler': ['k8s', 'k8s.io/kubernetes', 'k8s', 'kube-scheduler'],
  kubectl: ['k8s', 'k8s.io/kubernetes', 'k8s', 'kubectl'],
  kubelet: ['k8s', 'k8s.io/kubernetes', 'k8s', 'kubelet'],
  'kube-proxy': ['k8s', 'k8s.io/kubernetes', 'k8s', 'kube-proxy'],
  pause: ['k8s', 'k8s.io/kubernetes', 'k8s', 'pause'],
  coredns: ['coredns', 'github.com/coredns/coredns', 'coredns', 'coredns'],
  'kube-router': ['kube-router', 'github.com/cloudnativelabs/kube-router/v2', 'kube-router', 'kube-router'],
  kwok: ['kwok', 'sigs.k8s.io/kwok', 'kwok', 'kwok'],
  'metrics-server': ['metrics-server', 'sigs.k8s.io/metrics-server', 'metrics-server', 'metrics-server'],
  'fabric-ca-server': ['fabric-ca', 'github.com/hyperledger/fabric-ca', 'fabric-ca', 'fabric-ca-server'],
  'fabric-ca-client': ['fabric-ca', 'github.com/hyperledger/fabric-ca', 'fabric-ca', 'fabric-ca-client'],
  peer: ['fabric', 'github.com/hyperledger/fabric', 'fabric', 'peer'],
  orderer: ['fabric', 'github.com/hyperledger/fabric', 'fabric', 'orderer'],
  configtxgen: ['fabric', 'github.com/hyperledger/fabric', 'fabric', 'configtxgen'],
  osnadmin: ['fabric', 'github.com/hyperledger/fabric', 'fabric', 'osnadmin'],
  // Tests only: the reference the bot's config updates are compared with.
  configtxlator: ['fabric', 'github.com/hyperledger/fabric', 'fabric', 'configtxlator'],
} as const;

export type Binary = keyof typeof locations;
/** Built only by build.sh's `node` group. */
const nodeBinaries: Binary[] = ['kubelet', 'kube-proxy', 'pause', 'coredns', 'kube-router'];

/** The wrapper module Fabric is built from: the v2.5 LTS one, or with FCO_FABRIC=fabric-main the 3.x snapshot. */
export function fabricWrapper(): 'fabric' | 'fabric-main' {
  const chosen = process.env.FCO_FABRIC ?? 'fabric';
  if (chosen !== 'fabric' && chosen !== 'fabric-main') throw new Error(`FCO_FABRIC must be fabric or fabric-main, not ${chosen}`);
  return chosen;
}

/** Path of a binary built by test/infra/build.sh; a clear error when it has not been built. */
export function binary(name: Binary): string {
  const [pinnedIn, module, prefix, file] = locations[name];
  const wrapper = pinnedIn === 'fabric' ? fabricWrapper() : pinnedIn;
  const version = pinnedVersion(wrapper, module);
  // Fabric is pinned by commit: its directory is named by the commit, as build.sh names it.
  const key = prefix === 'fabric' ? (version.split('-').at(-1) ?? version) : version;
  const p = path.join(cacheDir(), `${prefix}-${key}`, file);
  const build = nodeBinaries.includes(name) ? 'bash test/infra/build.sh node' : 'npm run env:build';
  if (!existsSync(p)) throw new Error(`${name} is not built (${p} is missing): run \`${build}\` first`);
  return p;
}

/** Fabric's sample core.yaml and orderer.yaml, copied beside the binaries by build.sh. */
export const fabricConfigDir = (): string => path.join(path.dirname(binary('peer')), 'config');
