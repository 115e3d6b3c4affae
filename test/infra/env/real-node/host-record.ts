import { closeSync, existsSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { LOCK_FILE } from './layout.js';

/**
 * What the real node changes on the machine beyond its own directory, written before the first
 * change so that a teardown, or the reaper after a killed run, can undo exactly that.
 */
export interface HostRecord {
  /** The process that started the environment, and its start time (pids come round again). */
  owner: number;
  ownerStart: string;
  nodeDir: string;
  containerdSocket: string;
  /** Kernel settings (paths under /proc/sys) as they were before the node started. */
  kernelSettings: Record<string, string>;
  /** iptables chains (`iptables:nat:KUBE-X`) of the node's prefixes that existed before: not ours. */
  chainsBefore: string[];
  /** iptables tables (`ip6tables:nat`) that existed before: an empty one the node made goes. */
  tablesBefore: string[];
  /** ipsets that existed before (kube-router makes its own); absent in records of older runs. */
  ipsetsBefore?: string[];
  /** Host paths the node's programs write to that did not exist before: removed at teardown. */
  absentBefore: string[];
  /** kubelet, kube-proxy, CoreDNS, the NetworkPolicy enforcer and containerd once started. */
  pids: number[];
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the environment that wrote the record still runs. */
export const ownerRuns = (record: HostRecord): boolean => processStartTime(record.owner) === record.ownerStart;

export function readHostRecord(): HostRecord | undefined {
  if (!existsSync(LOCK_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(LOCK_FILE, 'utf8')) as HostRecord;
  } catch {
    return undefined;
  }
}

/** Takes the machine's one real-node slot; fails if a live environment holds it. */
export function createHostRecord(record: HostRecord): void {
  let fd: number;
  try {
    fd = openSync(LOCK_FILE, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = readHostRecord();
    const who = holder === undefined ? `unreadable ${LOCK_FILE}` : `pid ${holder.owner}, ${holder.nodeDir}`;
    throw new Error(`another environment on this machine has the real node (${who})`);
  }
  writeSync(fd, JSON.stringify(record, null, 2));
  closeSync(fd);
}

export function updateHostRecord(record: HostRecord): void {
  writeFileSync(`${LOCK_FILE}.partial`, JSON.stringify(record, null, 2), { mode: 0o600 });
  renameSync(`${LOCK_FILE}.partial`, LOCK_FILE);
}

export function removeHostRecord(): void {
  try {
    unlinkSync(LOCK_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
