import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, fabricConfigDir } from './binaries.js';
import { startFabricCa, type FabricCa } from './fabric-ca.js';
import { startFabricNetwork, type FabricNetwork } from './fabric.js';
import { PeerRunner } from './peer-runner.js';
import { startKubernetes, type KubeEnv } from './kube.js';
import { RealNode, REAL_NODE_ADDRESS, realNodeDetails, reapOrphanNode, type RealNodeDetails } from './node.js';
import type { NodeImage } from './real-node/images.js';
import { createObjects, orgPeerManifests, podAddressThroughClusterDns } from './real-node/peer-pods.js';
import { NodeVolumes } from './real-node/volumes.js';
import { CLUSTER_DOMAIN } from './real-node/layout.js';
import {
  botConfigYaml,
  createNetworkObjects,
  NAMESPACE,
  NETWORK,
  ORDERER_ORG,
  storeAdminIdentities,
  storeOrdererTlsRoot,
} from './network.js';
import type { ManagedProcess } from './proc.js';

/** What a test or a person needs to use the environment; no secrets in it. */
export interface EnvDetails {
  dir: string;
  kubeconfig: string;
  server: string;
  botConfig: string;
  network: string;
  namespace: string;
  cas: { org: string; url: string; caName: string; tlsCert: string; registrarHome: string }[];
  /** The peer runner writes <pod>.json here for each peer it started (see RunnerPeer). */
  runnerDir: string;
  fabric: {
    channel: string;
    orderer: OrdererDetails;
    /** The Raft set (the first is `orderer`). */
    orderers: OrdererDetails[];
    /** The orderer org admin's TLS client pair (paths), for osnadmin against the admin endpoints. */
    ordererAdminTls: { cert: string; key: string; ca: string };
    peers: { org: string; mspId: string; address: string; tlsRootCert: string; adminMsp: string }[];
    /** Orgs in the bot's configuration whose peer runs but that are not members of the channel. */
    candidates: { org: string; mspId: string; address: string; tlsRootCert: string; adminMsp: string }[];
    /** FABRIC_CFG_PATH for the peer CLI (Fabric's core.yaml). */
    configDir: string;
  };
  pids: number[];
  ports: number[];
  /** Present when the environment has a real node (startEnvironment({ realNode: true })). */
  realNode?: RealNodeDetails;
}

export interface Environment {
  details: EnvDetails;
  detailsPath: string;
  startedInMs: number;
  /** With a real node: lets its pods connect to `port` on the node's address (a server a test runs there). */
  admitPodsTo(port: number): void;
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

const ORGS = ['org1', 'org2'];
/** An org with a CA and a running peer that the channel does not have: channel governance onboards it. */
const CANDIDATE_ORG = 'org3';
/** With peerPods, the org whose new peers are pods on the real node. */
const POD_ORG = 'org1';
const PEER_POD_IMAGES: NodeImage[] = ['fabric-peer', 'fabric-chatops'];

/** An orderer of the Raft set: its address, admin endpoint (channel participation), TLS certificate and root. */
export interface OrdererDetails {
  name: string;
  address: string;
  admin: string;
  /** host:port of its operations service (plain HTTP). */
  operations: string;
  tlsCert: string;
  tlsRootCert: string;
  /** Its process, for a test that pauses it (SIGSTOP: it still accepts connections, and answers none). */
  pid: number;
}

const ordererDetails = ({ name, address, admin, operations, tlsCert, tlsRootCert, process }: FabricNetwork['orderer']): OrdererDetails => ({
  name,
  address,
  admin,
  operations,
  tlsCert,
  tlsRootCert,
  pid: process.pid ?? 0,
});

const peerDetails = (p: FabricNetwork['peers'][number]) => ({
  org: p.org,
  mspId: p.mspId,
  address: p.address,
  tlsRootCert: p.tlsRootCert,
  adminMsp: p.admin.mspDir,
});

function listeningPorts(processes: ManagedProcess[]): number[] {
  // Ports named in each process's command line are the ones it listens on.
  return [...new Set(processes.flatMap((p) => p.ports))];
}

const ENV_PREFIX = 'fco-env-';

/**
 * Stops what an earlier run left running when it was killed before its teardown (its owner
 * process is gone). Only processes still running one of the harness's binaries are signalled;
 * a real node is undone as its teardown would (containers, mounts, network, host state).
 */
export async function reapOrphans(): Promise<string[]> {
  const reaped: string[] = [];
  const killed: number[] = [];
  const node = await reapOrphanNode();
  if (node !== undefined) reaped.push(node);
  for (const name of readdirSync(os.tmpdir()).filter((n) => n.startsWith(ENV_PREFIX))) {
    const dir = path.join(os.tmpdir(), name);
    let details: EnvDetails & { owner?: number };
    try {
      details = JSON.parse(readFileSync(path.join(dir, 'env.json'), 'utf8')) as EnvDetails & { owner?: number };
    } catch {
      continue;
    }
    if (details.owner === undefined || isAlive(details.owner)) continue;
    for (const pid of details.pids.filter(isAlive)) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      } catch {
        continue;
      }
      if (!cmd.startsWith(cacheDir())) continue;
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
      reaped.push(`${path.basename(cmd)} (${pid})`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  // Orphans are re-parented to init, which reaps them shortly after they die.
  for (const deadline = Date.now() + 10_000; killed.some(isAlive) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
  return reaped;
}

/**
 * Ports are picked free and then bound by the servers, so another process can take one in
 * between; such a start is retried once in a new directory.
 */
export async function startEnvironment(opts: StartOptions = {}): Promise<Environment> {
  try {
    return await startEnvironmentOnce(opts);
  } catch (err) {
    if (opts.dir !== undefined || !(err instanceof Error && /address already in use/.test(err.message))) throw err;
    process.stderr.write(`a port was taken while the environment started; starting again\n${err.message.split('\n')[0] ?? ''}\n`);
    return startEnvironmentOnce(opts);
  }
}

interface StartOptions {
  dir?: string;
  /** A real node joined to the control plane (one per machine; see node.ts). */
  realNode?: boolean;
  /** Images to build (or take from the cache) and import into the real node's containerd. */
  nodeImages?: NodeImage[];
  /**
   * With realNode: org1's peers beyond peer0 are pods on the real node, from
   * manifests/fabric-org/org1-peer.yaml (none until the bot scales them); the network listens on
   * the node's address, and the node has a volume provisioner.
   */
  peerPods?: boolean;
}

async function startEnvironmentOnce(opts: StartOptions): Promise<Environment> {
  const t0 = Date.now();
  const reaped = await reapOrphans();
  if (reaped.length > 0) process.stderr.write(`stopped processes an earlier, killed run left behind: ${reaped.join(', ')}\n`);
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), ENV_PREFIX));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const processes: ManagedProcess[] = [];
  /** Keeps what a part started, so a failure later still stops it. */
  const tracked = <T>(part: T, started: ManagedProcess[]): T => {
    processes.push(...started);
    return part;
  };
  let runner: PeerRunner | undefined;
  let node: RealNode | undefined;
  let volumes: NodeVolumes | undefined;
  const stopAll = async (): Promise<void> => {
    try {
      volumes?.stop();
      await node?.stopPrograms();
      await runner?.stop();
      for (const p of [...processes].reverse()) await p.stop();
    } finally {
      await node?.release();
    }
  };
  let kube: KubeEnv;
  let cas: FabricCa[];
  let candidateCa: FabricCa;
  let ordererCa: FabricCa;
  let fabric: FabricNetwork;
  try {
    // The bridge must exist before the API server binds its address.
    if (opts.peerPods === true && opts.realNode !== true) throw new Error('peerPods needs realNode');
    if (opts.realNode === true) node = await RealNode.claim(dir, logDir);
    const host = opts.peerPods === true ? REAL_NODE_ADDRESS : undefined;
    const images: NodeImage[] = [...new Set([...(opts.nodeImages ?? []), ...(opts.peerPods === true ? PEER_POD_IMAGES : [])])];
    const realNode = node === undefined ? {} : { realNode: { address: REAL_NODE_ADDRESS } };
    const [started] = await Promise.all([
      Promise.all([
        startKubernetes({ dir, logDir, ...realNode }).then((k) => tracked(k, k.processes)),
        ...['orderer', ...ORGS, CANDIDATE_ORG].map((org) =>
          startFabricCa({ org, dir, logDir, ...(host === undefined ? {} : { host }) }).then((ca) => tracked(ca, [ca.process])),
        ),
      ]),
      node?.startRuntime(images),
    ]);
    [kube, ordererCa, ...cas] = started as [KubeEnv, FabricCa, ...FabricCa[]];
    candidateCa = cas.pop() as FabricCa;
    [, fabric] = await Promise.all([
      createNetworkObjects(kube.kubeconfigPath, [...cas, candidateCa], dir, [CANDIDATE_ORG, ...(opts.peerPods === true ? [POD_ORG] : [])]),
      startFabricNetwork({
        dir,
        logDir,
        ordererCa,
        orgCas: cas,
        candidateCas: [candidateCa],
        ...(host === undefined ? {} : { host, clusterDns: { server: REAL_NODE_ADDRESS, namespace: NAMESPACE, domain: CLUSTER_DOMAIN } }),
      }).then((f) => tracked(f, f.processes)),
      node?.join({ server: kube.server, ca: kube.ca }, kube.kubeconfigPath),
    ]);
    await storeAdminIdentities(kube.kubeconfigPath, [
      ...[...fabric.peers, ...fabric.candidates].map((p) => ({ org: p.org, mspId: p.mspId, mspDir: p.admin.mspDir })),
      { org: ORDERER_ORG, ...fabric.ordererAdmin },
    ]);
    await storeOrdererTlsRoot(kube.kubeconfigPath, fabric.orderer.tlsRootCert);
    if (opts.peerPods === true && node !== undefined) {
      // Pods reach the orderer and the host's peers (blocks, gossip), and the CAs (a worker in a pod enrolls).
      const peers = [...fabric.peers, ...fabric.candidates].map((p) => p.address);
      for (const address of [
        ...fabric.orderers.map((o) => o.address),
        ...peers,
        ...[...cas, candidateCa].map((ca) => new URL(ca.url).host),
      ])
        node.admitPodsTo(Number(address.split(':')[1]));
      volumes = new NodeVolumes(kube.kubeconfigPath, path.join(dir, 'volumes'));
      await volumes.start();
      const peer0 = fabric.peers.find((p) => p.org === POD_ORG)?.address as string;
      await createObjects(
        kube.kubeconfigPath,
        orgPeerManifests({
          namespace: NAMESPACE,
          network: NETWORK,
          images: { peer: node.images['fabric-peer'] as string, bot: node.images['fabric-chatops'] as string },
          firstOrdinal: 1,
          bootstrap: peer0,
        }),
      );
    }
    mkdirSync(path.join(dir, 'runner'), { recursive: true });
    runner = new PeerRunner(kube.kubeconfigPath, NAMESPACE, dir, logDir);
    await runner.start();
  } catch (err) {
    await stopAll();
    throw new Error(`the test environment did not start (logs in ${logDir}):\n${err instanceof Error ? err.message : String(err)}`);
  }
  const botConfig = path.join(dir, 'fabric-chatops.yaml');
  const podAddress: Record<string, string> = opts.peerPods === true ? { [POD_ORG]: podAddressThroughClusterDns(REAL_NODE_ADDRESS) } : {};
  writeFileSync(
    botConfig,
    botConfigYaml(
      [...cas, candidateCa],
      Object.fromEntries([...fabric.peers, ...fabric.candidates].map((p) => [p.org, [p.address]])),
      podAddress,
      fabric.orderers.map((o) => ({ address: o.address, admin: o.admin, operations: o.operations })),
    ),
  );
  const details: EnvDetails = {
    dir,
    kubeconfig: kube.kubeconfigPath,
    server: kube.server,
    botConfig,
    network: NETWORK,
    namespace: NAMESPACE,
    cas: cas.map((ca) => ({
      org: ca.org,
      url: ca.url,
      caName: ca.caName,
      tlsCert: ca.tlsCert,
      registrarHome: path.join(dir, 'registrars', ca.org),
    })),
    runnerDir: path.join(dir, 'runner'),
    fabric: {
      channel: fabric.channel,
      orderer: ordererDetails(fabric.orderer),
      orderers: fabric.orderers.map(ordererDetails),
      ordererAdminTls: fabric.ordererAdmin.tls,
      peers: fabric.peers.map(peerDetails),
      candidates: fabric.candidates.map(peerDetails),
      configDir: fabricConfigDir(),
    },
    pids: [...processes.flatMap((p) => (p.pid === undefined ? [] : [p.pid])), ...(node?.pids() ?? [])],
    ports: listeningPorts(processes),
    ...(node === undefined
      ? {}
      : { realNode: { ...realNodeDetails, images: { ...realNodeDetails.images, ...node.images }, startTimings: node.timings } }),
  };
  const detailsPath = path.join(dir, 'env.json');
  writeFileSync(detailsPath, JSON.stringify({ ...details, owner: process.pid }, null, 2));
  return {
    details,
    detailsPath,
    startedInMs: Date.now() - t0,
    admitPodsTo(port) {
      if (node === undefined) throw new Error('the environment has no real node');
      node.admitPodsTo(port);
    },
    async stop({ keepDir = false } = {}) {
      const started = [...details.pids, ...(runner?.pids() ?? [])];
      await stopAll();
      const stillUp = started.filter(isAlive);
      const stillListening = (await Promise.all(details.ports.map(async (p) => ((await accepts(p)) ? p : undefined)))).filter(
        (p) => p !== undefined,
      );
      if (stillUp.length > 0 || stillListening.length > 0) {
        throw new Error(
          `teardown left processes ${stillUp.join(', ') || 'none'} and listening ports ${stillListening.join(', ') || 'none'} behind`,
        );
      }
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
