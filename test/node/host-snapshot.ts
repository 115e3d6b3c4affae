import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Kernel settings a node may change, and what changing forwarding changes along with it. */
const KERNEL_SETTINGS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/forwarding',
  'net/ipv4/conf/default/forwarding',
  'net/ipv4/conf/all/accept_redirects',
  'net/ipv4/conf/all/route_localnet',
  'net/ipv6/conf/all/forwarding',
  'net/bridge/bridge-nf-call-iptables',
  'net/netfilter/nf_conntrack_max',
  'net/netfilter/nf_conntrack_tcp_timeout_established',
];

const HOST_PATHS = [
  '/run/containerd',
  '/run/mount',
  '/run/netns',
  '/var/lib/kubelet',
  '/var/lib/cni',
  '/var/lib/containerd',
  '/var/log/containers',
  '/var/log/pods',
  '/etc/cni',
  '/run/fabric-chatops-real-node.json',
];

/** What a real node could leave behind on the machine, read without changing anything. */
export interface HostSnapshot {
  interfaces: string[];
  mounts: string[];
  /** iptables-save and ip6tables-save, without counters and comments. */
  rules: string[];
  /** ipsets by name (kube-router, the NetworkPolicy enforcer, makes them). */
  ipsets: string[];
  /** Each cgroup hierarchy's top-level directories. */
  cgroups: string[];
  kernel: Record<string, string>;
  paths: string[];
}

const save = (command: string): string[] =>
  execFileSync(command, [], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''));

export function snapshotHost(): HostSnapshot {
  const kernel: Record<string, string> = {};
  for (const key of KERNEL_SETTINGS) if (existsSync(`/proc/sys/${key}`)) kernel[key] = readFileSync(`/proc/sys/${key}`, 'utf8').trim();
  return {
    interfaces: readdirSync('/sys/class/net').sort(),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m !== '')
      .sort(),
    rules: [...save('iptables-save'), ...save('ip6tables-save')],
    ipsets: execFileSync('ipset', ['list', '-n'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '')
      .sort(),
    cgroups: readdirSync('/sys/fs/cgroup')
      .flatMap((h) =>
        readdirSync(path.join('/sys/fs/cgroup', h), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [`${h}/${e.name}`] : [])),
      )
      .sort(),
    kernel,
    paths: HOST_PATHS.filter((p) => existsSync(p)),
  };
}

/** Processes whose command line mentions `text` (the containerd shims name their socket). */
export function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A process as pid and start time, so a pid the kernel hands out again is not taken for it. */
export function processIdentities(pids: number[]): string[] {
  return pids.flatMap((pid) => {
    try {
      // Field 22 of /proc/<pid>/stat (start time); fields after the parenthesised name.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return [`${pid}@${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? ''}`];
    } catch {
      return [];
    }
  });
}

/** Those of `identities` still running, with their command lines. */
export const stillRunning = (identities: string[]): string[] => {
  const now = new Set(processIdentities(identities.map((id) => Number(id.split('@')[0]))));
  const commandLine = (id: string): string => {
    try {
      const pid = id.split('@')[0] ?? '';
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      return `${stat.slice(stat.indexOf('('), stat.lastIndexOf(')') + 1)} state ${state} parent ${parent} ${command}`;
    } catch {
      return '';
    }
  };
  return identities.filter((id) => now.has(id)).map((id) => `${id} ${commandLine(id)}`);
};
