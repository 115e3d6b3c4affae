import * as kinds from '../kinds.js';
import type { common } from '@hyperledger/fabric-protos';
import type { NetworkConfig, OrgConfig } from '../../../config/model.js';
import {
  aclOf,
  anchorPeersOf,
  applicationOrgs,
  hasApplicationOrg,
  revocationListOf,
  withAcl,
  withAnchorPeers,
  withApplicationOrg,
  withoutApplicationOrg,
  withRevocationList,
  batchOf,
  withBatch,
  capabilitiesOf,
  withCapability,
  consenterAddress,
  consentersOf,
  ordererEndpointsOf,
  withConsenter,
  withOrdererEndpoint,
  withoutConsenter,
} from '../../../fabric/config-edits.js';
import { answers, presentedCertificate, raftSetChange } from '../../../fabric/raft.js';
import { blockNumber, firstCommitted, genesisBlock, joinPeer, ledgerHeight } from '../../../fabric/channel.js';
import { configBlock, ordererHeight } from '../../../fabric/channel-config.js';
import { committedDefinitions } from '../../../fabric/lifecycle.js';
import { applicationOrgGroup, pemCertificates, type OrgDefinition } from '../../../fabric/org-definition.js';
import { readSecretData } from '../../../k8s/identities.js';
import { caAccess, caEndpoint } from '../../services/ca-access.js';
import { FabricCaClient } from '../../../fabric/ca.js';
import { policyExists } from '../../../fabric/config-policy.js';
import { hostAndPort, withGateway, type FabricIdentity, type PeerEndpoint } from '../../../fabric/connection.js';
import { pollUntil, rampUp, retry } from '../../../retry.js';
import { parseParams, type JobKind, type ParamsOf } from '../kind.js';
import { PermanentError } from '../../engine/errors.js';
import type { JobResult } from '../../engine/types.js';
import type { JobContext } from '../../engine/worker.js';
import { ordererAdmins, ordererTlsRoot, orgPeersAccess } from '../../services/fabric-access.js';
import { joinOrderer, ordererChannel } from '../../../fabric/participation.js';
import { networkNamed, orgNamed } from '../../services/platform.js';

/**
 * The changes channel updates make, one per kind: what the change is in words, why it cannot be made
 * on a config, the config with it made, and what follows once the channel has it. The plan, the
 * signatures and the submission are channel-update.ts's, the same for every kind.
 */

/** A change to a channel's configuration, as a kind's params describe it. */
export interface ChannelChange {
  channel?: string | undefined;
  /** The change in words, for the summary. */
  what: string;
  /**
   * Why the change cannot be made on this config (it is planned, with this reason, as nothing to
   * sign); asked again just before submission, for what may have changed since (orderers down).
   */
  refusal?(config: common.Config): string | undefined | Promise<string | undefined>;
  /** What the signers should know the change costs (a Raft set that tolerates fewer failures). */
  warning?(config: common.Config): string | undefined;
  /** The config with the change made; the same config when it has it already. Throws PermanentError when it is not possible. */
  edit(config: common.Config): common.Config | Promise<common.Config>;
  /** What follows once the channel has the change (an added org's peers join); safe to run again. */
  afterwards?(ctx: JobContext, channel: string, reader: OrgAccess): Promise<Pick<JobResult, 'fields' | 'next'>>;
  /** Starts reading what `edit` needs (an org's CA chain), so that it is read while the config is. */
  readAheadForEdit?(): void;
  /** Starts reading what `afterwards` needs, so that it is read while the update is submitted and committed. */
  readAheadForAfterwards?(ctx: JobContext, channel: string, reader: OrgAccess): void;
}

/** `read`, its failure left to whoever awaits it: a read begun ahead and never awaited must not crash the process. */
function readAhead<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined);
  return read;
}

export type OrgAccess = { admin: FabricIdentity; peer: PeerEndpoint };

/** An org's admin and a peer of its to read the channel through: `org` when given, else the requester's org, else the first. */
export async function orgAccess(ctx: JobContext, network: NetworkConfig, org?: OrgConfig): Promise<OrgAccess> {
  const chosen = org ?? network.orgs.find((o) => o.name === ctx.request.requester.org) ?? network.orgs[0];
  if (chosen === undefined) throw new PermanentError(`network ${network.name} has no orgs`);
  const access = await ctx.prepare(`Read ${chosen.name}'s admin identity`, () => orgPeersAccess(ctx.platform.kube(), network, chosen));
  return { admin: access.admin, peer: access.peers[0] as PeerEndpoint };
}

type ChangeFactory = (ctx: JobContext, params: unknown, network: NetworkConfig) => ChannelChange | Promise<ChannelChange>;

/** The change each kind of channel update makes. A new channel command adds its kind and its line here. */
const channelChanges = new Map<string, ChangeFactory>([
  [kinds.channelAcl.type, (_ctx, p) => aclChange(parsed(kinds.channelAcl, p))],
  [kinds.channelAnchors.type, (_ctx, p, network) => anchorsChange(parsed(kinds.channelAnchors, p), network)],
  [kinds.channelAddOrg.type, (ctx, p, network) => addOrgChange(ctx, parsed(kinds.channelAddOrg, p), network)],
  [kinds.channelRemoveOrg.type, (_ctx, p, network) => removeOrgChange(parsed(kinds.channelRemoveOrg, p), network)],
  [kinds.channelCrl.type, (ctx, p, network) => crlChange(ctx, parsed(kinds.channelCrl, p), network)],
  [kinds.channelBatch.type, (_ctx, p) => batchChange(parsed(kinds.channelBatch, p))],
  [kinds.channelCapability.type, (_ctx, p) => capabilityChange(parsed(kinds.channelCapability, p))],
  [kinds.channelConsenter.type, (ctx, p, network) => consenterChange(ctx, parsed(kinds.channelConsenter, p), network)],
]);

export function parsed<K extends JobKind>(kind: K, params: unknown): ParamsOf<K> {
  const result = parseParams(kind, params);
  if (!result.ok) throw new PermanentError(`the request's ${kind.type} params are not valid: ${result.problem}`);
  return result.params;
}

export async function changeOf(ctx: JobContext, jobType: string, params: unknown): Promise<ChannelChange> {
  const change = channelChanges.get(jobType);
  if (change === undefined) throw new PermanentError(`${jobType} is not a channel update`);
  return change(ctx, params, networkNamed(ctx.platform.config, ctx.request.network));
}

/** Anchor peers need the org's MSP ID, which the network's configuration gives. */
function anchorsChange(params: ParamsOf<typeof kinds.channelAnchors>, network: NetworkConfig): ChannelChange {
  const { mspId } = orgNamed(network, params.org);
  const peers = params.peers.map(hostAndPort);
  return {
    channel: params.channel,
    what: `anchor peers of ${params.org} → ${params.peers.join(', ')}`,
    edit: (config) => {
      if (!hasApplicationOrg(config, mspId)) throw new PermanentError(`${mspId} is not a member of the channel`);
      const now = anchorPeersOf(config, mspId);
      if (now.length === peers.length && now.every((p, i) => p.host === peers[i]?.host && p.port === peers[i]?.port)) return config;
      return withAnchorPeers(config, mspId, peers);
    },
  };
}

function aclChange(params: ParamsOf<typeof kinds.channelAcl>): ChannelChange {
  return {
    channel: params.channel,
    what: `ACL ${params.resource} → ${params.policy}`,
    edit: (config) => {
      if (aclOf(config, params.resource) === params.policy) return config;
      if (!policyExists(config, params.policy)) throw new PermanentError(`${params.policy} is not a policy of the channel`);
      return withAcl(config, params.resource, params.policy);
    },
  };
}

/** An org's definition for the channel, from its CA (the chain /cainfo gives) and the TLS root its peers' certificates chain to. */
export async function orgDefinition(ctx: JobContext, network: NetworkConfig, org: OrgConfig): Promise<OrgDefinition> {
  return ctx.prepare(`Read ${org.name}'s CA chain and TLS root`, async () => {
    const kube = ctx.platform.kube();
    const tlsSecret = org.peers.tlsSecret ?? org.ca.tlsSecret;
    const [chainPem, tlsData] = await Promise.all([
      caEndpoint(kube, network, org).then((endpoint) => new FabricCaClient(endpoint).caChain()),
      tlsSecret === undefined ? undefined : readSecretData(kube, network.namespace, tlsSecret),
    ]);
    const tlsPem = tlsData?.['ca.crt'];
    if (tlsPem === undefined) throw new PermanentError(`org ${org.name}: set peers.tlsSecret (or ca.tlsSecret) to its peers' TLS root`);
    return { mspId: org.mspId, caChain: pemCertificates(chainPem), tlsRoots: pemCertificates(tlsPem) };
  });
}

const PEERS_CATCH_UP_MS = 120_000;

async function addOrgChange(ctx: JobContext, params: ParamsOf<typeof kinds.channelAddOrg>, network: NetworkConfig): Promise<ChannelChange> {
  const org = orgNamed(network, params.org);
  // Read from its CA only when the change is made: a job that submits a recorded plan needs none of it.
  let definition: Promise<OrgDefinition> | undefined;
  const readDefinition = (): Promise<OrgDefinition> => (definition ??= readAhead(orgDefinition(ctx, network, org)));
  // What joining the org's peers reads: begun as the update is submitted, each step waits for its part.
  // The peer reads are made again in the step that needs them when the one begun ahead failed (a
  // step runs again while the peer is unavailable); the access read waits out outages itself.
  let forJoin: { access: Promise<{ admin: FabricIdentity; peers: PeerEndpoint[] }>; block: Promise<Uint8Array> } | undefined;
  let committedRead: Promise<Awaited<ReturnType<typeof committedDefinitions>>> | undefined;
  const readForAfterwards = (job: JobContext, channel: string, reader: OrgAccess) => {
    const block = () => withGateway(reader.peer, reader.admin, (g) => genesisBlock(g, channel));
    const committed = () => withGateway(reader.peer, reader.admin, (g) => committedDefinitions(g, channel));
    forJoin ??= {
      access: readAhead(
        job.prepare(`Read ${org.name}'s admin identity and peers`, () => orgPeersAccess(job.platform.kube(), network, org)),
      ),
      block: readAhead(block()),
    };
    committedRead ??= readAhead(committed());
    const ahead = forJoin;
    const committedAhead = committedRead;
    return {
      access: ahead.access,
      block: () => ahead.block.catch(block),
      committed: () => committedAhead.catch(committed),
    };
  };
  return {
    channel: params.channel,
    what: `add ${org.mspId}`,
    refusal: (config) => (hasApplicationOrg(config, org.mspId) ? `${org.mspId} is already a member of the channel` : undefined),
    readAheadForEdit: () => void readDefinition(),
    edit: async (config) => {
      if (hasApplicationOrg(config, org.mspId)) return config;
      return withApplicationOrg(config, org.mspId, applicationOrgGroup(await readDefinition()));
    },
    readAheadForAfterwards: (job, channel, reader) => void readForAfterwards(job, channel, reader),
    afterwards: async (job, channel, reader) => {
      const reads = readForAfterwards(job, channel, reader);
      await job.step({ key: 'join-the-org-s-peers', title: `Join ${org.name}'s peers to ${channel}` }, async (note) => {
        const [block, { admin, peers }] = await Promise.all([reads.block(), reads.access]);
        for (const peer of peers) await note(`${peer.address}: ${await joinPeer(peer, admin, block)}`);
      });
      const access = await reads.access;
      const heights = await job.step(
        { key: 'wait-until-they-catch-up', title: `Wait until ${org.name}'s peers catch up` },
        async (note) => {
          const target = await ledgerHeight(reader.peer, reader.admin, channel);
          // Watched as the channel member who reads it: the org's own admin is refused until its
          // peer holds the block that adds the org.
          const seen = await Promise.all(
            access.peers.map(async (peer) => {
              // Just joined, the peer may not serve the channel yet: its Deliver answers NOT_FOUND (404).
              const height = await retry(
                () =>
                  firstCommitted(peer, reader.admin, channel, target - 1, (block) => blockNumber(block) + 1, {
                    timeoutMs: PEERS_CATCH_UP_MS,
                    what: `block ${target - 1}`,
                    signal: job.signal,
                  }),
                {
                  retryIf: (err) => /status response: 404\b/.test(String(err)),
                  delayMs: rampUp(10, 250),
                  withinMs: PEERS_CATCH_UP_MS,
                  signal: job.signal,
                },
              );
              await note(`${peer.address}: height ${height} of ${target}`);
              return height;
            }),
          );
          return seen;
        },
      );
      // The org endorses a chaincode only once it has approved its definition at the committed sequence.
      const chaincodes = await job.step(
        { key: 'list-the-chaincodes-to-approve', title: `List the chaincodes ${org.name} is to approve` },
        async (note) => {
          const committed = await reads.committed();
          await note(committed.length === 0 ? 'none committed' : committed.map((c) => `${c.name} ${c.version}`).join(', '));
          return committed.map((c) => ({ name: c.name, version: c.version, sequence: c.sequence }));
        },
      );
      return {
        fields: [
          { label: `${org.name}'s peers`, value: access.peers.map((p, i) => `${p.address} at height ${heights[i]}`).join(', ') },
          ...(chaincodes.length === 0
            ? []
            : [
                {
                  label: `For ${org.name} to approve`,
                  value: chaincodes.map((c) => `${c.name} ${c.version} (sequence ${c.sequence})`).join(', '),
                },
              ]),
        ],
        // Each a button an admin of the org clicks to approve it as committed (chaincode approve).
        next: chaincodes.map((c) => ({
          label: `Approve ${c.name} ${c.version} as ${org.name}`,
          command: `chaincode approve ${c.name} ${org.name} --channel ${channel}`,
        })),
      };
    },
  };
}

function removeOrgChange(params: ParamsOf<typeof kinds.channelRemoveOrg>, network: NetworkConfig): ChannelChange {
  const { mspId } = orgNamed(network, params.org);
  return {
    channel: params.channel,
    what: `remove ${mspId}`,
    refusal: (config) => {
      const members = applicationOrgs(config);
      if (!members.includes(mspId)) return `${mspId} is not a member of the channel`;
      if (members.length === 1) return `${mspId} is the channel's last org: a channel without orgs serves no one, so it is not removed`;
      return undefined;
    },
    edit: (config) => withoutApplicationOrg(config, mspId),
  };
}

/** The org's MSP in the channel given the CRL its CA issues now: what peers check identities of that org against. */
async function crlChange(ctx: JobContext, params: ParamsOf<typeof kinds.channelCrl>, network: NetworkConfig): Promise<ChannelChange> {
  const org = orgNamed(network, params.org);
  const crl = await ctx.prepare(`Read ${org.name}'s CRL from its CA`, async () => {
    const { ca, registrar } = await caAccess(ctx.platform.kube(), network, org);
    return ca.crl(registrar);
  });
  return {
    channel: params.channel,
    what: `${org.mspId}'s CRL (${crl.serials.length} revoked)`,
    refusal: (config) => (hasApplicationOrg(config, org.mspId) ? undefined : `${org.mspId} is not a member of the channel`),
    edit: (config) => {
      const now = revocationListOf(config, org.mspId);
      return now.length === 1 && now[0] === crl.pem ? config : withRevocationList(config, org.mspId, [crl.pem]);
    },
  };
}

function batchChange(params: ParamsOf<typeof kinds.channelBatch>): ChannelChange {
  const wanted = {
    ...(params.timeout === undefined ? {} : { timeout: params.timeout }),
    ...(params.maxMessages === undefined ? {} : { maxMessages: params.maxMessages }),
  };
  return {
    channel: params.channel,
    what: `batch ${Object.entries(wanted)
      .map(([k, v]) => `${k === 'timeout' ? 'timeout' : 'size'} ${v}${k === 'maxMessages' ? ' messages' : ''}`)
      .join(', ')}`,
    edit: (config) => {
      const now = batchOf(config);
      const same = (wanted.timeout ?? now.timeout) === now.timeout && (wanted.maxMessages ?? now.maxMessages) === now.maxMessages;
      return same ? config : withBatch(config, wanted);
    },
  };
}

function capabilityChange(params: ParamsOf<typeof kinds.channelCapability>): ChannelChange {
  return {
    channel: params.channel,
    what: `${params.group} capability ${params.level}`,
    edit: (config) => {
      const now = capabilitiesOf(config, params.group);
      return now.length === 1 && now[0] === params.level ? config : withCapability(config, params.group, params.level);
    },
  };
}

const CONSENTER_CATCH_UP_MS = 60_000;

/**
 * An orderer of the network in or out of the channel's Raft set, or advertised to clients. Its
 * consenter entry is its address and the certificate it presents there (checked against its TLS
 * root). Refused when the consenters that answer would be fewer than a quorum; an added orderer
 * is waited for until it has the channel's blocks, and advertised in a change of its own.
 */
async function consenterChange(
  ctx: JobContext,
  params: ParamsOf<typeof kinds.channelConsenter>,
  network: NetworkConfig,
): Promise<ChannelChange> {
  const known = network.orderers.find((o) => o.name === params.orderer);
  if (known === undefined)
    throw new PermanentError(
      `${params.orderer} is not one of network ${network.name}'s orderers (${network.orderers.map((o) => o.name).join(', ') || 'none configured'})`,
    );
  const { action } = params;
  const address = known.endpoint;
  const tlsRoot = (): Promise<string> => ordererTlsRoot(ctx.platform.kube(), network, known);
  const certificate =
    action !== 'add'
      ? ''
      : await ctx.prepare(`Read ${known.name}'s TLS certificate`, async () => {
          try {
            return await presentedCertificate(address, await tlsRoot());
          } catch (err) {
            if (err instanceof PermanentError) throw err;
            throw new PermanentError(
              `${known.name} at ${address} did not present a TLS certificate its root vouches for: ${(err as Error).message}`,
            );
          }
        });
  const isConsenter = (config: common.Config): boolean => consentersOf(config).some((c) => consenterAddress(c) === address);
  const setOf = (config: common.Config): { now: string[]; next: string[] } => {
    const now = consentersOf(config).map(consenterAddress);
    if (action === 'remove') return { now, next: now.filter((a) => a !== address) };
    return { now, next: now.includes(address) ? now : [...now, address] };
  };
  const ordererMsp = (config: common.Config): string | undefined => {
    const orgs = [...ordererEndpointsOf(config).keys()];
    return orgs.find((m) => network.ordererOrgs.some((o) => o.mspId === m)) ?? orgs[0];
  };
  const what = {
    add: `add consenter ${known.name} (${address})`,
    remove: `remove consenter ${known.name} (${address})`,
    advertise: `advertise ${known.name} (${address}) to clients`,
  };
  return {
    channel: params.channel,
    what: what[action],
    refusal: async (config) => {
      if (action === 'remove' && !isConsenter(config)) return `${address} is not a consenter of the channel`;
      if (action === 'add' && isConsenter(config)) return `${address} is a consenter of the channel already`;
      if (action === 'advertise')
        return !isConsenter(config)
          ? `${address} is not a consenter of the channel: add it first`
          : (await answers(address))
            ? undefined
            : `${address} does not answer: clients would be sent to an orderer that is down`;
      const { now, next } = setOf(config);
      const answering = new Set(
        (await Promise.all([...new Set([...now, address])].map(async (a) => ((await answers(a)) ? [a] : [])))).flat(),
      );
      return raftSetChange(now, next, answering).refusal;
    },
    // What the change costs when every orderer answers; one that does not is the refusal's matter.
    warning: (config) => {
      const { now, next } = setOf(config);
      return raftSetChange(now, next, new Set(next)).warning;
    },
    edit: (config) => {
      if (action === 'remove') return isConsenter(config) ? withoutConsenter(config, address) : config;
      if (action === 'advertise') {
        const mspId = ordererMsp(config);
        if (mspId === undefined) throw new PermanentError('the channel has no ordering org to list the orderer’s endpoint under');
        return withOrdererEndpoint(config, mspId, address);
      }
      if (isConsenter(config)) return config;
      return withConsenter(config, { ...hostAndPort(address), clientTlsCert: certificate, serverTlsCert: certificate });
    },
    afterwards:
      action !== 'add'
        ? undefined
        : async (job, channel, reader) => {
            const admin = (await ordererAdmins(job.platform.kube(), network)).find((a) => a.name === known.name);
            // Its admin endpoint's trust is its TLS root: read once.
            const root = admin?.tlsRootPem ?? (await job.prepare(`Read ${known.name}'s TLS root`, tlsRoot));
            // An orderer that is not on the channel (new, or removed from it with osnadmin) joins it
            // with the config block that makes it a consenter, and onboards from the others.
            if (admin !== undefined)
              await job.step({ key: 'join-the-orderer', title: `Join ${known.name} to the channel` }, async (note) => {
                const on = await ordererChannel(admin, channel);
                if (on !== undefined) return note(`${known.name}: on ${channel} already (${on.consensusRelation})`);
                const block = await configBlock(reader.peer, reader.admin, channel);
                const joined = await joinOrderer(admin, channel, block.serializeBinary());
                await note(`${known.name}: joined with config block ${block.getHeader()?.getNumber()} (${joined.consensusRelation})`);
              });
            const height = await job.step(
              { key: 'wait-until-the-orderer-has-the-blocks', title: `Wait until ${known.name} has the channel's blocks` },
              async (note) => {
                const target = await ledgerHeight(reader.peer, reader.admin, channel);
                // A follower serves the blocks before it switches to consenting: where the orderer's
                // admin endpoint is known, it is asked too, until it says consenter and active.
                const consenting = async (): Promise<boolean> => {
                  if (admin === undefined) return true;
                  const info = await ordererChannel(admin, channel).catch(() => undefined);
                  return info?.consensusRelation === 'consenter' && info.status === 'active';
                };
                const seen = await pollUntil(
                  async () => {
                    const h = await ordererHeight({ address, tlsRootPem: root }, reader.admin, channel).catch(() => 0);
                    return h >= target && (await consenting()) ? h : undefined;
                  },
                  {
                    everyMs: 250,
                    withinMs: CONSENTER_CATCH_UP_MS,
                    signal: job.signal,
                    timedOut: () =>
                      new Error(
                        `${known.name} did not reach block ${target} of ${channel} within ${CONSENTER_CATCH_UP_MS / 1000} s: is it on the channel? (osnadmin channel join)`,
                      ),
                  },
                );
                await note(`${known.name}: height ${seen}`);
                return seen;
              },
            );
            return {
              fields: [{ label: known.name, value: `consenter, at height ${height}` }],
              // Clients are sent to it once it has caught up, in a change of its own.
              next: [
                { label: `Advertise ${known.name} to clients`, command: `channel consenter advertise ${known.name} --channel ${channel}` },
              ],
            };
          },
  };
}
