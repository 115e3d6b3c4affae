import { existsSync } from 'node:fs';
import { BRIDGE, BRIDGE_IP, POD_SUBNET } from './layout.js';
import { sh, shQuiet } from './sh.js';

const FAMILIES = ['iptables', 'ip6tables'] as const;
const TABLES = ['filter', 'nat', 'mangle', 'raw'] as const;
/** Chains the kubelet, kube-proxy and CNI plugins create, and the node's own isolation chain. */
const NODE_CHAIN = /^(KUBE-|CNI-|FCO-NODE-)/;
const ISOLATION_CHAIN = 'FCO-NODE-ISOLATION';
const POD_INPUT_CHAIN = 'FCO-NODE-POD-INPUT';

export function bridgeExists(): boolean {
  return existsSync(`/sys/class/net/${BRIDGE}`);
}

/** The pods' bridge, made up front so the API server can bind its address before any pod runs. */
export function createBridge(): void {
  const prefix = POD_SUBNET.split('/')[1] ?? '24';
  sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  sh('ip', ['addr', 'add', `${BRIDGE_IP}/${prefix}`, 'dev', BRIDGE]);
  sh('ip', ['link', 'set', BRIDGE, 'up']);
}

/**
 * The bridge plugin switches IP forwarding on; nothing may be forwarded between the pods'
 * bridge and any other interface, so pod traffic stays on this machine. And pods reach on the
 * machine itself only cluster DNS and the ports admitted (`admitPodsTo`), not whatever else
 * listens on all addresses here. In mangle so that it comes before what kube-proxy puts first.
 */
export function isolateBridge(): void {
  sh('iptables-restore', ['--noflush'], {
    input: [
      '*mangle',
      `:${ISOLATION_CHAIN} - [0:0]`,
      `-A ${ISOLATION_CHAIN} -i ${BRIDGE} ! -o ${BRIDGE} -j DROP`,
      `-A ${ISOLATION_CHAIN} ! -i ${BRIDGE} -o ${BRIDGE} -j DROP`,
      `-I FORWARD 1 -j ${ISOLATION_CHAIN}`,
      `:${POD_INPUT_CHAIN} - [0:0]`,
      `-A ${POD_INPUT_CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
      `-A ${POD_INPUT_CHAIN} -p udp --dport 53 -j RETURN`,
      `-A ${POD_INPUT_CHAIN} -p tcp --dport 53 -j RETURN`,
      `-A ${POD_INPUT_CHAIN} -j DROP`,
      `-I INPUT 1 -i ${BRIDGE} -j ${POD_INPUT_CHAIN}`,
      'COMMIT',
      '',
    ].join('\n'),
  });
}

/** Lets pods open TCP connections to `port` on the machine (a server listening on the bridge). */
export function admitPodsTo(port: number): void {
  sh('iptables', ['-t', 'mangle', '-I', POD_INPUT_CHAIN, '1', '-p', 'tcp', '--dport', String(port), '-j', 'RETURN']);
}

interface TableRules {
  chains: string[];
  /** Each chain's policy; `-` for a user-defined chain. */
  policies: string[];
  rules: string[];
}

function saved(family: (typeof FAMILIES)[number], table: (typeof TABLES)[number]): TableRules {
  let out: string;
  try {
    out = sh(`${family}-save`, ['-t', table]);
  } catch {
    return { chains: [], policies: [], rules: [] };
  }
  const lines = out.split('\n');
  const declarations = lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' '));
  return {
    chains: declarations.map((d) => d[0] ?? ''),
    policies: declarations.map((d) => d[1] ?? ''),
    rules: lines.filter((l) => l.startsWith('-A ')),
  };
}

/** The tables that exist (nf_tables creates one the first time a program uses it), as `iptables:nat`. */
export function existingTables(): string[] {
  return FAMILIES.flatMap((family) => {
    try {
      return sh(`${family}-save`, [])
        .split('\n')
        .filter((l) => l.startsWith('*'))
        .map((l) => `${family}:${l.slice(1)}`);
    } catch {
      return [];
    }
  });
}

/** Tables the node's programs brought into being, once they hold nothing but empty built-in chains. */
function removeEmptyTables(tablesBefore: string[]): void {
  for (const family of FAMILIES) {
    for (const table of TABLES) {
      if (tablesBefore.includes(`${family}:${table}`) || !existingTables().includes(`${family}:${table}`)) continue;
      const { policies, rules } = saved(family, table);
      if (rules.length === 0 && policies.every((p) => p === 'ACCEPT'))
        shQuiet('nft', ['delete', 'table', family === 'iptables' ? 'ip' : 'ip6', table]);
    }
  }
}

/** Every chain of the node's prefixes, as `iptables:nat:KUBE-SERVICES`. */
export function nodeChains(): string[] {
  return FAMILIES.flatMap((family) =>
    TABLES.flatMap((table) =>
      saved(family, table)
        .chains.filter((c) => NODE_CHAIN.test(c))
        .map((c) => `${family}:${table}:${c}`),
    ),
  );
}

/**
 * Removes the node's chains (but not those in `keep`, which existed before it started): first
 * the rules elsewhere that jump to them, then their rules, then the chains. Nothing else in a
 * table is touched.
 */
export function removeNodeChains(keep: string[]): void {
  for (const family of FAMILIES) {
    for (const table of TABLES) {
      const { chains, rules } = saved(family, table);
      const ours = chains.filter((c) => NODE_CHAIN.test(c) && !keep.includes(`${family}:${table}:${c}`));
      if (ours.length === 0) continue;
      const jumpsToOurs = rules.filter((r) => {
        const [, chain] = r.split(' ');
        const target = / -[jg] (\S+)/.exec(r)?.[1];
        return chain !== undefined && !ours.includes(chain) && target !== undefined && ours.includes(target);
      });
      const script = [
        `*${table}`,
        ...jumpsToOurs.map((r) => `-D${r.slice(2)}`),
        ...ours.map((c) => `-F ${c}`),
        ...ours.map((c) => `-X ${c}`),
        'COMMIT',
        '',
      ];
      sh(`${family}-restore`, ['--noflush'], { input: script.join('\n') });
    }
  }
}

/** The machine's ipsets by name (the NetworkPolicy enforcer, kube-router, keeps pods' addresses in them). */
export function ipsets(): string[] {
  return sh('ipset', ['list', '-n'])
    .split('\n')
    .filter((l) => l !== '');
}

/** The ipsets that were not there before; once no rule refers to them (chains go first). */
function removeNodeIpsets(ipsetsBefore: string[]): void {
  for (const set of ipsets().filter((s) => !ipsetsBefore.includes(s))) sh('ipset', ['destroy', set]);
}

/** Network namespaces, veth pairs and routes die with their pods; what is left is removed here. */
export function removeNodeNetwork(chainsBefore: string[], tablesBefore: string[], ipsetsBefore: string[] = []): void {
  removeNodeChains(chainsBefore);
  removeNodeIpsets(ipsetsBefore);
  removeEmptyTables(tablesBefore);
  if (bridgeExists()) shQuiet('ip', ['link', 'del', BRIDGE]);
}
