import { readdirSync, readFileSync } from 'node:fs';
import { bridgeExists, createBridge, existingTables, ipsets, isolateBridge, nodeChains, removeNodeNetwork } from './host-network.js';
import {
  createHostRecord,
  ownerRuns,
  processAlive,
  processStartTime,
  readHostRecord,
  removeHostRecord,
  type HostRecord,
} from './host-record.js';
import {
  absentHostPaths,
  createNodeCgroups,
  nodeCgroupProcesses,
  readKernelSettings,
  removeHostFiles,
  removeNodeCgroups,
  restoreKernelSettings,
  unmountUnder,
} from './host-state.js';
import { BRIDGE, LOCK_FILE } from './layout.js';

/** containerd-shim processes hard-code their sockets' directory; they are re-parented to init. */
const SHIM_SOCKETS = '/run/containerd';

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** containerd shims serving the node's containerd (found by the address they report to). */
function shimPids(containerdSocket: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      const args = commandLine(pid);
      return (args[0] ?? '').includes('containerd-shim') && args[args.indexOf('-address') + 1] === containerdSocket;
    });
}

async function killAndWait(pids: number[], what: string): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(processAlive)) {
    if (Date.now() > deadline) throw new Error(`${what} ${pids.filter(processAlive).join(', ')} did not die`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Takes the machine's real-node slot and prepares the host: the record of what is about to
 * change, the pods' bridge (isolated from every other interface), the pods' cgroup root.
 */
export async function claimHost(nodeDir: string, containerdSocket: string): Promise<HostRecord> {
  const stale = readHostRecord();
  if (stale !== undefined && !ownerRuns(stale)) await cleanHost(stale);
  const record: HostRecord = {
    owner: process.pid,
    ownerStart: processStartTime(process.pid) ?? '',
    nodeDir,
    containerdSocket,
    kernelSettings: readKernelSettings(),
    chainsBefore: nodeChains(),
    tablesBefore: existingTables(),
    ipsetsBefore: ipsets(),
    absentBefore: absentHostPaths(),
    pids: [],
  };
  createHostRecord(record);
  if (bridgeExists()) {
    removeHostRecord();
    throw new Error(`the interface ${BRIDGE} exists but no environment claims it: remove it (ip link del ${BRIDGE})`);
  }
  try {
    createBridge();
    isolateBridge();
    createNodeCgroups();
  } catch (err) {
    await cleanHost(record);
    throw err;
  }
  return record;
}

/**
 * Undoes everything the record's node did to the machine, whether it stopped cleanly or its
 * owner was killed: programs, containers, shims, containerd; mounts; cgroups; iptables chains,
 * ipsets and the bridge; host files; kernel settings. Every step is tried; the record goes only when
 * all succeeded, so that the next run's reaper tries again.
 */
export async function cleanHost(record: HostRecord): Promise<void> {
  const ours = record.pids.filter((pid) => processAlive(pid) && commandLine(pid).some((a) => a.includes(record.nodeDir)));
  const containerd = ours.filter((pid) => (commandLine(pid)[0] ?? '').endsWith('/containerd'));
  const steps: [string, () => Promise<void> | void][] = [
    [
      'node programs',
      () =>
        killAndWait(
          ours.filter((pid) => !containerd.includes(pid)),
          'node programs',
        ),
    ],
    // containerd before containers and shims: while it runs it starts more shims (`shim delete`).
    ['containerd', () => killAndWait(containerd, 'containerd')],
    ['containers', () => killAndWait(nodeCgroupProcesses(), 'container processes')],
    ['shims', () => killAndWait(shimPids(record.containerdSocket), 'containerd shims')],
    ['mounts', () => unmountUnder([record.nodeDir, SHIM_SOCKETS])],
    ['cgroups', () => removeNodeCgroups()],
    ['network', () => removeNodeNetwork(record.chainsBefore, record.tablesBefore, record.ipsetsBefore)],
    ['host files', () => removeHostFiles(record.absentBefore, record.nodeDir)],
    ['kernel settings', () => restoreKernelSettings(record.kernelSettings)],
  ];
  const failed: string[] = [];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      failed.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (failed.length > 0) throw new Error(`the real node's teardown left host state behind (${LOCK_FILE} kept):\n${failed.join('\n')}`);
  removeHostRecord();
}
