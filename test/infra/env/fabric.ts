import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { nodeOUsConfig } from '../../../src/fabric/node-files.js';
import { binary, fabricConfigDir, infraDir } from './binaries.js';
import { caClient, enrollRegistrar, type FabricCa } from './fabric-ca.js';
import { freePort, httpOk, tcpAccepts } from './net.js';
import { ManagedProcess } from './proc.js';

const run = promisify(execFile);

export const CHANNEL = 'mychannel';
/** A second channel of the same members, for tests that change who is a member (onboarding an org) apart from the rest. */
export const GOVERNANCE_CHANNEL = 'governance';
const LOOPBACK = '127.0.0.1';

/** An enrolled identity on disk: an MSP directory and, for nodes, a TLS key pair. */
export interface EnrolledIdentity {
  mspDir: string;
  tls?: { cert: string; key: string; ca: string };
}

export interface PeerNode {
  org: string;
  mspId: string;
  address: string;
  operations: string;
  /** The CA certificate that signed the peer's TLS certificate: clients trust it. */
  tlsRootCert: string;
  admin: EnrolledIdentity;
  process: ManagedProcess;
}

/** An orderer of the Raft set: where clients reach it, its admin endpoint (channel participation), its TLS certificate. */
export interface OrdererNode {
  name: string;
  address: string;
  admin: string;
  /** host:port of its operations service (plain HTTP, loopback): /healthz, and /metrics in Prometheus's format. */
  operations: string;
  tlsCert: string;
  tlsRootCert: string;
  process: ManagedProcess;
}

/** How many orderers the channels' Raft sets have: three, so one can go (a consenter change) and the channel still has quorum. */
export const ORDERERS = 3;

export interface FabricNetwork {
  channel: string;
  /** The first of `orderers`. */
  orderer: OrdererNode;
  /** The Raft set every channel of the network runs on. */
  orderers: OrdererNode[];
  /** The ordering org's MSP admin (OrdererMSP), who signs changes to the orderer group. */
  ordererAdmin: { mspId: string; mspDir: string; tls: NonNullable<EnrolledIdentity['tls']> };
  peers: PeerNode[];
  /** Orgs with a CA and a running peer that are not members of the channel (yet): channel governance adds them. */
  candidates: PeerNode[];
  /** The channel's genesis block, for peers joining later. */
  channelBlock: string;
  /** Environment for the `peer` CLI acting as an org's admin against its peer. */
  peerCliEnv(org: string): NodeJS.ProcessEnv;
  processes: ManagedProcess[];
}

const secret = (): string => randomBytes(12).toString('hex');

/** NodeOUs: a certificate's OU (client, peer, admin, orderer) decides its role in the MSP. */
function writeNodeOUs(mspDir: string): void {
  const cacert = `cacerts/${readdirSync(path.join(mspDir, 'cacerts'))[0] as string}`;
  writeFileSync(path.join(mspDir, 'config.yaml'), nodeOUsConfig(cacert));
}

/** Registers an identity with the org's registrar and enrolls it: its MSP, and a TLS pair for nodes. */
async function enrollIdentity(
  ca: FabricCa,
  registrarHome: string,
  dir: string,
  name: string,
  type: 'admin' | 'peer' | 'orderer' | 'client',
  nodeHost = LOOPBACK,
  /** A TLS pair too: nodes have one, and the orderer admin (its client certificate for the admin endpoints). */
  withTls = type === 'peer' || type === 'orderer',
): Promise<EnrolledIdentity> {
  const pass = secret();
  await caClient(ca, ['register', '--id.name', name, '--id.secret', pass, '--id.type', type, '-u', ca.url], registrarHome);
  const host = new URL(ca.url).host;
  const mspDir = path.join(dir, 'msp');
  await caClient(ca, ['enroll', '-u', `https://${name}:${pass}@${host}`, '--mspdir', mspDir], path.join(dir, '.client'));
  writeNodeOUs(mspDir);
  if (!withTls) return { mspDir };
  const tlsDir = path.join(dir, 'tls');
  await caClient(
    ca,
    [
      'enroll',
      '-u',
      `https://${name}:${pass}@${host}`,
      '--mspdir',
      tlsDir,
      '--enrollment.profile',
      'tls',
      '--csr.hosts',
      [...new Set([LOOPBACK, 'localhost', nodeHost])].join(','),
    ],
    path.join(dir, '.client'),
  );
  return {
    mspDir,
    tls: {
      cert: path.join(tlsDir, 'signcerts', 'cert.pem'),
      key: path.join(tlsDir, 'keystore', readdirSync(path.join(tlsDir, 'keystore'))[0] as string),
      ca: path.join(tlsDir, 'tlscacerts', readdirSync(path.join(tlsDir, 'tlscacerts'))[0] as string),
    },
  };
}

/** The organisation's MSP as the channel configuration holds it: its CA roots and NodeOUs. */
function orgMsp(ca: FabricCa, dir: string): string {
  const msp = path.join(dir, 'msp');
  for (const sub of ['cacerts', 'tlscacerts']) {
    mkdirSync(path.join(msp, sub), { recursive: true });
    copyFileSync(ca.tlsCert, path.join(msp, sub, 'ca.pem'));
  }
  writeNodeOUs(msp);
  return msp;
}

const signature = (expr: string) => ({ Type: 'Signature', Rule: expr });
const implicit = (rule: string) => ({ Type: 'ImplicitMeta', Rule: rule });

/** An application org's policies as configtx.yaml gives them (Fabric's test network's, and the bot's for an added org). */
export const orgPolicies = (mspId: string) => ({
  Readers: signature(`OR('${mspId}.admin', '${mspId}.peer', '${mspId}.client')`),
  Writers: signature(`OR('${mspId}.admin', '${mspId}.client')`),
  Admins: signature(`OR('${mspId}.admin')`),
  Endorsement: signature(`OR('${mspId}.peer')`),
});

function configtx(opts: {
  host: string;
  ordererMsp: string;
  orderers: { port: number; tlsCert: string }[];
  orgs: { mspId: string; msp: string; ports: [number, number, number] }[];
}): unknown {
  const ordererOrg = {
    Name: 'OrdererMSP',
    ID: 'OrdererMSP',
    MSPDir: opts.ordererMsp,
    OrdererEndpoints: opts.orderers.map((o) => `${opts.host}:${o.port}`),
    Policies: {
      Readers: signature("OR('OrdererMSP.member')"),
      Writers: signature("OR('OrdererMSP.member')"),
      Admins: signature("OR('OrdererMSP.admin')"),
    },
  };
  // Anchor peers let peers of different orgs find each other (gossip, and the gateway's discovery).
  const orgs = opts.orgs.map(({ mspId, msp, ports }) => ({
    Name: mspId,
    ID: mspId,
    MSPDir: msp,
    AnchorPeers: [{ Host: opts.host, Port: ports[0] }],
    Policies: orgPolicies(mspId),
  }));
  const channelPolicies = { Readers: implicit('ANY Readers'), Writers: implicit('ANY Writers'), Admins: implicit('MAJORITY Admins') };
  return {
    Profiles: {
      ChannelUsingRaft: {
        Policies: channelPolicies,
        Capabilities: { V2_0: true },
        Orderer: {
          OrdererType: 'etcdraft',
          BatchTimeout: '200ms',
          BatchSize: { MaxMessageCount: 10, AbsoluteMaxBytes: '99 MB', PreferredMaxBytes: '512 KB' },
          EtcdRaft: {
            Consenters: opts.orderers.map((o) => ({ Host: opts.host, Port: o.port, ClientTLSCert: o.tlsCert, ServerTLSCert: o.tlsCert })),
            // Fabric's defaults but a quicker tick: a lost leader is replaced in 2.5 s rather than 5 s.
            Options: { TickInterval: '250ms', ElectionTick: 10, HeartbeatTick: 1, MaxInflightBlocks: 5, SnapshotIntervalSize: '16 MB' },
          },
          Organizations: [ordererOrg],
          Policies: { ...channelPolicies, BlockValidation: implicit('ANY Writers') },
          Capabilities: { V2_0: true },
        },
        Application: {
          Organizations: orgs,
          Policies: {
            ...channelPolicies,
            LifecycleEndorsement: implicit('MAJORITY Endorsement'),
            Endorsement: implicit('MAJORITY Endorsement'),
          },
          Capabilities: { V2_0: true },
        },
      },
    },
  };
}

/**
 * A Raft orderer (channel participation, no system channel) and one peer per organisation, every
 * identity registered and enrolled through the organisations' Fabric CAs; one application channel
 * joined by both peers; the chaincode-as-a-service builder configured, so no Docker is needed.
 */
export async function startFabricNetwork(opts: {
  dir: string;
  logDir: string;
  ordererCa: FabricCa;
  orgCas: FabricCa[];
  /** Orgs whose peer runs but that the channel does not have (their MSP IDs follow the members'). */
  candidateCas?: FabricCa[];
  /** Where the orderer and peers listen and are reached (a real node's pods reach its bridge address); default 127.0.0.1. */
  host?: string;
  /** The peers resolve names with this cluster DNS, as pods do: a chaincode Service by its name. */
  clusterDns?: ClusterDns;
}): Promise<FabricNetwork> {
  const host = opts.host ?? LOOPBACK;
  const processes: ManagedProcess[] = [];
  const root = path.join(opts.dir, 'fabric');
  const config = fabricConfigDir();
  try {
    const registrarHome = (ca: FabricCa): string => path.join(root, 'registrars', ca.org);
    for (const ca of [opts.ordererCa, ...opts.orgCas, ...(opts.candidateCas ?? [])]) await enrollRegistrar(ca, registrarHome(ca));

    // Orderer organisation: its admin and a Raft set of ORDERERS orderers.
    const oDir = path.join(root, 'orderer');
    const ordererIds = await Promise.all(
      Array.from({ length: ORDERERS }, (_, i) =>
        enrollIdentity(opts.ordererCa, registrarHome(opts.ordererCa), path.join(oDir, `orderer${i}`), `orderer${i}`, 'orderer', host),
      ),
    );
    const ordererAdmin = await enrollIdentity(
      opts.ordererCa,
      registrarHome(opts.ordererCa),
      path.join(oDir, 'admin'),
      'admin-orderer',
      'admin',
      LOOPBACK,
      true,
    );
    const ordererPorts = await Promise.all(
      ordererIds.map(async () => (await Promise.all([freePort(), freePort(), freePort()])) as [number, number, number]),
    );
    const tlsOf = (id: EnrolledIdentity) => id.tls as NonNullable<EnrolledIdentity['tls']>;

    // Peer organisations: the channel's members, then the candidates.
    const allOrgs = await Promise.all(
      [...opts.orgCas, ...(opts.candidateCas ?? [])].map(async (ca, i) => {
        const dir = path.join(root, ca.org);
        const mspId = `Org${i + 1}MSP`;
        const [admin, peer] = await Promise.all([
          enrollIdentity(ca, registrarHome(ca), path.join(dir, 'admin'), `admin-${ca.org}`, 'admin'),
          enrollIdentity(ca, registrarHome(ca), path.join(dir, 'peer0'), `peer0-${ca.org}`, 'peer', host),
        ]);
        const ports = (await Promise.all([freePort(), freePort(), freePort()])) as [number, number, number];
        return { ca, mspId, admin, peer, msp: orgMsp(ca, dir), ports };
      }),
    );
    const orgs = allOrgs.slice(0, opts.orgCas.length);

    // The channel's genesis block, from a configtx.yaml written for these identities.
    const txDir = path.join(root, 'configtx');
    mkdirSync(txDir, { recursive: true });
    writeFileSync(
      path.join(txDir, 'configtx.yaml'),
      JSON.stringify(
        configtx({
          host,
          ordererMsp: orgMsp(opts.ordererCa, oDir),
          orderers: ordererIds.map((id, i) => ({ port: ordererPorts[i]?.[0] as number, tlsCert: tlsOf(id).cert })),
          orgs,
        }),
      ),
    );
    const blockOf = (channel: string): string => path.join(txDir, `${channel}.block`);
    for (const channel of [CHANNEL, GOVERNANCE_CHANNEL])
      await run(binary('configtxgen'), ['-profile', 'ChannelUsingRaft', '-outputBlock', blockOf(channel), '-channelID', channel], {
        env: { ...process.env, FABRIC_CFG_PATH: txDir },
      });
    const block = blockOf(CHANNEL);

    const orderers = await Promise.all(
      ordererIds.map((id, i) =>
        startOrderer({ name: `orderer${i}`, id, ports: ordererPorts[i] as [number, number, number], host, dir: oDir, logDir: opts.logDir }),
      ),
    );
    processes.push(...orderers.map((o) => o.process));
    // All at once: the node Fabric picks to campaign first finds the others there to vote.
    await Promise.all(
      orderers.flatMap((o) =>
        [CHANNEL, GOVERNANCE_CHANNEL].map((channel) => joinOrderer(o.admin, channel, blockOf(channel), ordererAdmin)),
      ),
    );

    const started: PeerNode[] = [];
    for (const org of allOrgs) {
      const ptls = org.peer.tls as NonNullable<EnrolledIdentity['tls']>;
      const peerProcess = await startPeer({
        name: `peer0-${org.ca.org}`,
        id: `peer0.${org.ca.org}`,
        mspId: org.mspId,
        mspDir: org.peer.mspDir,
        tls: ptls,
        dir: path.join(root, org.ca.org, 'peer0'),
        logDir: opts.logDir,
        ports: org.ports,
        host,
        ...(opts.clusterDns === undefined ? {} : { clusterDns: opts.clusterDns }),
      });
      processes.push(peerProcess.process);
      started.push({
        org: org.ca.org,
        mspId: org.mspId,
        address: peerProcess.address,
        operations: peerProcess.operations,
        tlsRootCert: ptls.ca,
        admin: org.admin,
        process: peerProcess.process,
      });
    }
    const peers = started.slice(0, orgs.length);
    const candidates = started.slice(orgs.length);
    const network: FabricNetwork = {
      channel: CHANNEL,
      orderer: orderers[0] as OrdererNode,
      orderers,
      ordererAdmin: { mspId: 'OrdererMSP', mspDir: ordererAdmin.mspDir, tls: tlsOf(ordererAdmin) },
      peers,
      candidates,
      channelBlock: block,
      peerCliEnv(org) {
        const p = started.find((x) => x.org === org);
        if (p === undefined) throw new Error(`no peer for ${org}`);
        return {
          ...process.env,
          FABRIC_CFG_PATH: config,
          FABRIC_LOGGING_SPEC: 'warn',
          CORE_PEER_LOCALMSPID: p.mspId,
          CORE_PEER_MSPCONFIGPATH: p.admin.mspDir,
          CORE_PEER_ADDRESS: p.address,
          CORE_PEER_TLS_ENABLED: 'true',
          CORE_PEER_TLS_ROOTCERT_FILE: p.tlsRootCert,
        };
      },
      processes,
    };
    for (const p of peers) {
      await joinChannel(network, p.org, p.address);
      await joinChannel(network, p.org, p.address, blockOf(GOVERNANCE_CHANNEL));
    }
    return network;
  } catch (err) {
    await Promise.all(processes.map((p) => p.stop()));
    throw err;
  }
}

/**
 * Joins an orderer to a channel with osnadmin, which exits 1 only when it gets no answer (its
 * "Error: …" on stdout) and 0 whatever the orderer answers. A node suite run once failed here with
 * no reason shown: the answer is now in the error, and a join that is not "Status: 201" is tried
 * again twice; an orderer that already has the channel (a retry of a join that went through) is joined.
 */
async function joinOrderer(admin: string, channel: string, block: string, ordererAdmin: EnrolledIdentity): Promise<void> {
  const args = ['channel', 'join', '--channelID', channel, '--config-block', block, '-o', admin, ...osnadminTls(ordererAdmin)];
  for (let attempt = 1; ; attempt++) {
    const said = await run(binary('osnadmin'), args).then(
      ({ stdout, stderr }) => `${stdout}${stderr}`.trim(),
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`.trim(),
    );
    if (/^Status: 201\b/m.test(said) || /already exists/i.test(said)) return;
    if (attempt === 3)
      throw new Error(`osnadmin channel join ${channel} at ${admin}: ${attempt} tries, the last answered: ${said || '(nothing)'}`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
}

/** osnadmin's flags for the admin endpoints' mutual TLS, as the orderer org's admin. */
export function osnadminTls(admin: EnrolledIdentity): string[] {
  const tls = admin.tls as NonNullable<EnrolledIdentity['tls']>;
  return ['--ca-file', tls.ca, '--client-cert', tls.cert, '--client-key', tls.key];
}

/** An orderer process (channel participation, no system channel) on the given ports: client, admin (mutual TLS, loopback), operations. */
async function startOrderer(opts: {
  name: string;
  id: EnrolledIdentity;
  ports: [number, number, number];
  host: string;
  dir: string;
  logDir: string;
}): Promise<OrdererNode> {
  const [port, admin, ops] = opts.ports;
  const tls = opts.id.tls as NonNullable<EnrolledIdentity['tls']>;
  const dir = path.join(opts.dir, opts.name);
  // Fabric's orderer.yaml, but a consenter removed from a channel notices after 3 s without a
  // leader (Consensus.EvictionSuspicion, 10 minutes by default) and follows the channel from then.
  const configDir = path.join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const yaml = readFileSync(path.join(fabricConfigDir(), 'orderer.yaml'), 'utf8');
  if (!/^Consensus:\n/m.test(yaml)) throw new Error("Fabric's orderer.yaml has no Consensus section");
  writeFileSync(path.join(configDir, 'orderer.yaml'), yaml.replace(/^Consensus:\n/m, 'Consensus:\n    EvictionSuspicion: 3s\n'));
  const orderer = ManagedProcess.start(opts.name, binary('orderer'), [], {
    logDir: opts.logDir,
    env: {
      FABRIC_CFG_PATH: configDir,
      FABRIC_LOGGING_SPEC: 'warn',
      ORDERER_GENERAL_LISTENADDRESS: opts.host,
      ORDERER_GENERAL_LISTENPORT: String(port),
      ORDERER_GENERAL_LOCALMSPID: 'OrdererMSP',
      ORDERER_GENERAL_LOCALMSPDIR: opts.id.mspDir,
      ORDERER_GENERAL_TLS_ENABLED: 'true',
      ORDERER_GENERAL_TLS_CERTIFICATE: tls.cert,
      ORDERER_GENERAL_TLS_PRIVATEKEY: tls.key,
      ORDERER_GENERAL_TLS_ROOTCAS: `[${tls.ca}]`,
      ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE: tls.cert,
      ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY: tls.key,
      ORDERER_GENERAL_CLUSTER_ROOTCAS: `[${tls.ca}]`,
      ORDERER_GENERAL_BOOTSTRAPMETHOD: 'none',
      ORDERER_CHANNELPARTICIPATION_ENABLED: 'true',
      ORDERER_FILELEDGER_LOCATION: path.join(dir, 'ledger'),
      ORDERER_CONSENSUS_WALDIR: path.join(dir, 'etcdraft', 'wal'),
      ORDERER_CONSENSUS_SNAPDIR: path.join(dir, 'etcdraft', 'snap'),
      ORDERER_OPERATIONS_LISTENADDRESS: `${LOOPBACK}:${ops}`,
      ORDERER_ADMIN_LISTENADDRESS: `${LOOPBACK}:${admin}`,
      // Channel participation over mutual TLS, as in production: the orderer org admin's TLS client certificate.
      ORDERER_ADMIN_TLS_ENABLED: 'true',
      ORDERER_ADMIN_TLS_CERTIFICATE: tls.cert,
      ORDERER_ADMIN_TLS_PRIVATEKEY: tls.key,
      ORDERER_ADMIN_TLS_ROOTCAS: `[${tls.ca}]`,
      ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED: 'true',
      ORDERER_ADMIN_TLS_CLIENTROOTCAS: `[${tls.ca}]`,
      // /metrics says which channels it leads the Raft cluster of (shown by /fabric status).
      ORDERER_METRICS_PROVIDER: 'prometheus',
    },
  });
  try {
    await orderer.waitUntil('/healthz answered', () => httpOk(`http://127.0.0.1:${ops}/healthz`));
  } catch (err) {
    await orderer.stop();
    throw err;
  }
  return {
    name: opts.name,
    address: `${opts.host}:${port}`,
    admin: `127.0.0.1:${admin}`,
    operations: `${LOOPBACK}:${ops}`,
    tlsCert: tls.cert,
    tlsRootCert: tls.ca,
    process: orderer,
  };
}

/** Starts a peer process on free loopback ports and waits until its operations endpoint is healthy. */
/** A cluster's DNS server and the namespace whose names resolve unqualified, as in a pod's resolv.conf. */
export interface ClusterDns {
  server: string;
  namespace: string;
  domain: string;
}

/**
 * `command args` in a mount namespace of its own where /etc/resolv.conf is `resolvConf`, so a
 * process on this machine resolves names as a pod would; the rest of the machine is untouched.
 */
function withResolvConf(resolvConf: string, command: string, args: string[]): [string, string[]] {
  const script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"';
  return ['unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, resolvConf, command, ...args]];
}

export async function startPeer(opts: {
  name: string;
  id: string;
  mspId: string;
  mspDir: string;
  tls: { cert: string; key: string; ca: string };
  dir: string;
  logDir: string;
  ports?: [number, number, number];
  host?: string;
  clusterDns?: ClusterDns;
}): Promise<{ process: ManagedProcess; address: string; operations: string }> {
  const [port, ccPort, ops] = opts.ports ?? ((await Promise.all([freePort(), freePort(), freePort()])) as [number, number, number]);
  const host = opts.host ?? LOOPBACK;
  const address = `${host}:${port}`;
  let [command, args] = [binary('peer'), ['node', 'start']];
  if (opts.clusterDns !== undefined) {
    const { server, namespace, domain } = opts.clusterDns;
    const resolvConf = path.join(opts.dir, 'resolv.conf');
    mkdirSync(opts.dir, { recursive: true });
    writeFileSync(resolvConf, `nameserver ${server}\nsearch ${namespace}.svc.${domain} svc.${domain} ${domain}\noptions ndots:5\n`);
    [command, args] = withResolvConf(resolvConf, command, args);
  }
  const peer = ManagedProcess.start(opts.name, command, args, {
    logDir: opts.logDir,
    env: {
      FABRIC_CFG_PATH: fabricConfigDir(),
      FABRIC_LOGGING_SPEC: 'warn:lifecycle=info',
      CORE_PEER_ID: opts.id,
      CORE_PEER_ADDRESS: address,
      CORE_PEER_LISTENADDRESS: address,
      CORE_PEER_CHAINCODEADDRESS: `127.0.0.1:${ccPort}`,
      CORE_PEER_CHAINCODELISTENADDRESS: `127.0.0.1:${ccPort}`,
      CORE_PEER_GOSSIP_BOOTSTRAP: address,
      CORE_PEER_GOSSIP_EXTERNALENDPOINT: address,
      CORE_PEER_GOSSIP_USELEADERELECTION: 'false',
      CORE_PEER_GOSSIP_ORGLEADER: 'true',
      // The peers start together: a first dial to the other org's anchor peer may find it not
      // yet listening, and Fabric's default retry (25 s) would keep the Gateway blind to that
      // org, so commits would wait. Test-network timing only.
      CORE_PEER_GOSSIP_RECONNECTINTERVAL: '2s',
      CORE_PEER_GOSSIP_ALIVETIMEINTERVAL: '1s',
      CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT: '10s',
      CORE_PEER_LOCALMSPID: opts.mspId,
      CORE_PEER_MSPCONFIGPATH: opts.mspDir,
      CORE_PEER_TLS_ENABLED: 'true',
      CORE_PEER_TLS_CERT_FILE: opts.tls.cert,
      CORE_PEER_TLS_KEY_FILE: opts.tls.key,
      CORE_PEER_TLS_ROOTCERT_FILE: opts.tls.ca,
      CORE_PEER_FILESYSTEMPATH: path.join(opts.dir, 'ledger'),
      CORE_LEDGER_SNAPSHOTS_ROOTDIR: path.join(opts.dir, 'snapshots'),
      CORE_OPERATIONS_LISTENADDRESS: `127.0.0.1:${ops}`,
      CORE_METRICS_PROVIDER: 'disabled',
      CORE_CHAINCODE_EXTERNALBUILDERS: JSON.stringify([{ name: 'ccaas', path: path.join(infraDir, 'ccaas-builder') }]),
    },
  });
  try {
    await peer.waitUntil('/healthz answered', () => httpOk(`http://127.0.0.1:${ops}/healthz`));
    // The operations endpoint comes up before the peer listens for clients; under load a
    // `peer channel join` right after /healthz found the port closed.
    await peer.waitUntil('its port accepted a connection', () => tcpAccepts(host, port));
  } catch (err) {
    await peer.stop();
    throw err;
  }
  return { process: peer, address, operations: `127.0.0.1:${ops}` };
}

/** The org's admin joins the peer at `address` to the channel. */
export async function joinChannel(network: FabricNetwork, org: string, address: string, block = network.channelBlock): Promise<void> {
  await run(binary('peer'), ['channel', 'join', '-b', block], {
    env: { ...network.peerCliEnv(org), CORE_PEER_ADDRESS: address },
  });
}
