import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CGROUP_ROOT, CNI_NETWORK } from './layout.js';
import { shQuiet } from './sh.js';

/**
 * Kernel settings the kubelet, kube-proxy and the bridge plugin change (kubelet: overcommit,
 * panic, keys; bridge plugin: forwarding); restored to these values at teardown.
 */
const KERNEL_SETTINGS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/ipv6/conf/all/forwarding',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
  'net/netfilter/nf_conntrack_max',
  'net/netfilter/nf_conntrack_tcp_timeout_established',
  'net/netfilter/nf_conntrack_tcp_timeout_close_wait',
];

export function readKernelSettings(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of KERNEL_SETTINGS) {
    try {
      values[key] = readFileSync(`/proc/sys/${key}`, 'utf8').trim();
    } catch {
      // not on this kernel
    }
  }
  return values;
}

export function restoreKernelSettings(before: Record<string, string>): void {
  const now = readKernelSettings();
  for (const [key, value] of Object.entries(before)) if (now[key] !== value) writeFileSync(`/proc/sys/${key}`, value);
}

/** Host paths the node's programs write to whatever their configuration says. */
const HOST_PATHS = [
  '/run/containerd',
  '/run/mount',
  '/var/log/containers',
  '/var/log/pods',
  '/var/lib/cni',
  '/var/lib/kubelet',
  '/var/lib/containerd',
  '/run/netns',
  '/etc/cni',
];

export const absentHostPaths = (): string[] => HOST_PATHS.filter((p) => !existsSync(p));

/**
 * Removes what the node left in host paths: the ones that did not exist before it started
 * wholesale, elsewhere only its own entries (log links into its directory, CNI result caches
 * under its network's name).
 */
export function removeHostFiles(absentBefore: string[], nodeDir: string): void {
  for (const p of absentBefore) rmSync(p, { recursive: true, force: true });
  const links = '/var/log/containers';
  if (existsSync(links)) {
    for (const name of readdirSync(links)) {
      const file = path.join(links, name);
      try {
        if (readlinkSync(file).startsWith(nodeDir)) rmSync(file);
      } catch {
        // not a link
      }
    }
  }
  // containerd's CNI library caches each sandbox's results: <network>-<sandbox>-<interface>.
  const results = '/var/lib/cni/results';
  if (existsSync(results)) {
    const names = readdirSync(results);
    const sandboxes = names.flatMap((n) => (n.startsWith(`${CNI_NETWORK}-`) ? [n.slice(CNI_NETWORK.length + 1).split('-')[0] ?? ''] : []));
    const ours = names.filter((n) => n.startsWith(`${CNI_NETWORK}-`) || sandboxes.some((id) => id !== '' && n === `cni-loopback-${id}-lo`));
    for (const name of ours) rmSync(path.join(results, name), { force: true });
  }
}

/** Mount points (octal escapes decoded) under any of `roots`, deepest first. */
export function mountsUnder(roots: string[]): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((mp) => roots.some((r) => mp === r || mp.startsWith(`${r}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export function unmountUnder(roots: string[]): void {
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(roots);
    if (points.length === 0) return;
    for (const mp of points) if (!shQuiet('umount', [mp])) shQuiet('umount', ['-l', mp]);
  }
}

/** The node's cgroup directory in every cgroup hierarchy mounted here. */
export function nodeCgroupDirs(): string[] {
  return readdirSync('/sys/fs/cgroup')
    .map((h) => path.join('/sys/fs/cgroup', h, CGROUP_ROOT))
    .filter((d) => existsSync(d));
}

/** Every process in the node's cgroups (containers and their sandboxes). */
export function nodeCgroupProcesses(): number[] {
  const pids = new Set<number>();
  const walk = (dir: string): void => {
    try {
      for (const l of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l !== '') pids.add(Number(l));
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(dir, e.name));
    } catch {
      // removed meanwhile
    }
  };
  for (const d of nodeCgroupDirs()) walk(d);
  return [...pids];
}

/** Removes the node's cgroup directories, innermost first; they must hold no process. */
export function removeNodeCgroups(): void {
  const remove = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(path.join(dir, e.name));
    rmdirSync(dir);
  };
  for (const d of nodeCgroupDirs()) remove(d);
}

/**
 * The node's cgroup root in every cgroup v1 hierarchy (the kubelet requires it to exist); cpuset needs its CPUs and memory
 * nodes copied from the parent before a process may join a child.
 */
export function createNodeCgroups(): void {
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const parent = path.join('/sys/fs/cgroup', h);
    if (h === 'unified' || !existsSync(path.join(parent, 'cgroup.procs'))) continue;
    const dir = path.join(parent, CGROUP_ROOT);
    mkdirSync(dir, { recursive: true });
    if (h === 'cpuset') {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(path.join(dir, f), readFileSync(path.join(parent, f), 'utf8').trim());
    }
  }
}
