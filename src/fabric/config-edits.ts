import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import { mapEntries } from './proto-maps.js';

/** Changes to a channel config, each returning a changed copy; the original is left as it was. */

const copyOf = (config: common.Config): common.Config => common.Config.deserializeBinary(config.serializeBinary());

function application(config: common.Config): common.ConfigGroup {
  const app = config.getChannelGroup()?.getGroupsMap().get('Application');
  if (app === undefined) throw new Error('the channel has no Application group');
  return app;
}

/** The ACL `resource` pointing at `policy` (a policy path such as /Channel/Application/Writers). */
export function withAcl(config: common.Config, resource: string, policy: string): common.Config {
  const updated = copyOf(config);
  const values = application(updated).getValuesMap();
  let value = values.get('ACLs');
  if (value === undefined) {
    value = new common.ConfigValue();
    value.setModPolicy('Admins');
  }
  const acls = value.getValue_asU8().length === 0 ? new peer.ACLs() : peer.ACLs.deserializeBinary(value.getValue_asU8());
  const ref = new peer.APIResource();
  ref.setPolicyRef(policy);
  acls.getAclsMap().set(resource, ref);
  value.setValue(acls.serializeBinary());
  values.set('ACLs', value);
  return updated;
}

/** The policy an ACL resource points at now; undefined when the channel names none for it. */
export function aclOf(config: common.Config, resource: string): string | undefined {
  const value = application(config).getValuesMap().get('ACLs');
  if (value === undefined) return undefined;
  return peer.ACLs.deserializeBinary(value.getValue_asU8()).getAclsMap().get(resource)?.getPolicyRef();
}

/** The application group of the org whose MSP is `mspId` (its key is the org's name in configtx, often but not always the MSP ID). */
function orgGroup(config: common.Config, mspId: string): common.ConfigGroup | undefined {
  return [...mapEntries<common.ConfigGroup>(application(config).getGroupsMap()).values()].find((group) => mspIdOf(group) === mspId);
}

/** Whether the channel's application has the org whose MSP is `mspId`. */
export const hasApplicationOrg = (config: common.Config, mspId: string): boolean => orgGroup(config, mspId) !== undefined;

/** An anchor peer: the host and port other orgs' peers gossip with. */
export interface AnchorPeer {
  host: string;
  port: number;
}

/** The org's anchor peers as the channel has them (none when it names none). */
export function anchorPeersOf(config: common.Config, mspId: string): AnchorPeer[] {
  const value = orgGroup(config, mspId)?.getValuesMap().get('AnchorPeers');
  if (value === undefined) return [];
  return peer.AnchorPeers.deserializeBinary(value.getValue_asU8())
    .getAnchorPeersList()
    .map((p) => ({ host: p.getHost(), port: p.getPort() }));
}

/** The org's anchor peers set to `peers`, in that order. */
export function withAnchorPeers(config: common.Config, mspId: string, peers: readonly AnchorPeer[]): common.Config {
  const updated = copyOf(config);
  const group = orgGroup(updated, mspId);
  if (group === undefined) throw new Error(`${mspId} is not an org of the channel's application`);
  let value = group.getValuesMap().get('AnchorPeers');
  if (value === undefined) {
    value = new common.ConfigValue();
    value.setModPolicy('Admins');
  }
  const anchors = new peer.AnchorPeers();
  anchors.setAnchorPeersList(
    peers.map(({ host, port }) => {
      const p = new peer.AnchorPeer();
      p.setHost(host);
      p.setPort(port);
      return p;
    }),
  );
  value.setValue(anchors.serializeBinary());
  group.getValuesMap().set('AnchorPeers', value);
  return updated;
}

/** The MSP ID an org group's MSP definition names. */
function mspIdOf(group: common.ConfigGroup): string | undefined {
  const value = group.getValuesMap().get('MSP');
  if (value === undefined) return undefined;
  return msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(value.getValue_asU8()).getConfig_asU8()).getName();
}

/** The channel's application orgs: each group, its key in the Application group, and its MSP ID. */
export function applicationOrgGroups(config: common.Config): Array<{ key: string; mspId: string; group: common.ConfigGroup }> {
  return [...mapEntries<common.ConfigGroup>(application(config).getGroupsMap())].flatMap(([key, group]) => {
    const mspId = mspIdOf(group);
    return mspId === undefined ? [] : [{ key, mspId, group }];
  });
}

/** The MSP IDs of the channel's application orgs. */
export function applicationOrgs(config: common.Config): string[] {
  return [...mapEntries<common.ConfigGroup>(application(config).getGroupsMap()).values()].flatMap((group) => mspIdOf(group) ?? []);
}

/** The org's group added to the application under `key` (by convention its MSP ID). */
export function withApplicationOrg(config: common.Config, key: string, group: common.ConfigGroup): common.Config {
  const updated = copyOf(config);
  application(updated).getGroupsMap().set(key, group);
  return updated;
}

/** The application without the org whose MSP is `mspId`. */
export function withoutApplicationOrg(config: common.Config, mspId: string): common.Config {
  const updated = copyOf(config);
  const groups = application(updated).getGroupsMap();
  for (const [key, group] of mapEntries<common.ConfigGroup>(groups)) if (mspIdOf(group) === mspId) groups.del(key);
  return updated;
}

/** The org's MSP definition with `crls` (PEM) as its revocation list, replacing the one it had. */
export function withRevocationList(config: common.Config, mspId: string, crls: readonly string[]): common.Config {
  const updated = copyOf(config);
  const value = orgGroup(updated, mspId)?.getValuesMap().get('MSP');
  if (value === undefined) throw new Error(`${mspId} is not an org of the channel's application`);
  const wrapped = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
  const definition = msp.FabricMSPConfig.deserializeBinary(wrapped.getConfig_asU8());
  definition.setRevocationListList(crls.map((pem) => Buffer.from(pem)));
  wrapped.setConfig(definition.serializeBinary());
  value.setValue(wrapped.serializeBinary());
  return updated;
}

/** The CRLs (PEM) the org's MSP definition in the channel carries. */
export function revocationListOf(config: common.Config, mspId: string): string[] {
  const value = orgGroup(config, mspId)?.getValuesMap().get('MSP');
  if (value === undefined) return [];
  const definition = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(value.getValue_asU8()).getConfig_asU8());
  return definition.getRevocationListList_asU8().map((bytes) => Buffer.from(bytes).toString('utf8'));
}

function ordererGroup(config: common.Config): common.ConfigGroup {
  const group = config.getChannelGroup()?.getGroupsMap().get('Orderer');
  if (group === undefined) throw new Error('the channel has no Orderer group');
  return group;
}

/** How the orderers cut blocks: the longest wait, and the most transactions a block holds. */
export interface BatchSettings {
  /** As Fabric writes it: 2s, 500ms, 1m. */
  timeout: string;
  maxMessages: number;
}

export function batchOf(config: common.Config): BatchSettings {
  const values = ordererGroup(config).getValuesMap();
  const timeout = values.get('BatchTimeout');
  const size = values.get('BatchSize');
  return {
    timeout: timeout === undefined ? '' : orderer.BatchTimeout.deserializeBinary(timeout.getValue_asU8()).getTimeout(),
    maxMessages: size === undefined ? 0 : orderer.BatchSize.deserializeBinary(size.getValue_asU8()).getMaxMessageCount(),
  };
}

/** The batch timeout and size set as given; what is not given stays as it is. */
export function withBatch(config: common.Config, settings: Partial<BatchSettings>): common.Config {
  const updated = copyOf(config);
  const values = ordererGroup(updated).getValuesMap();
  if (settings.timeout !== undefined) {
    const value = values.get('BatchTimeout');
    if (value === undefined) throw new Error('the channel has no BatchTimeout');
    const timeout = orderer.BatchTimeout.deserializeBinary(value.getValue_asU8());
    timeout.setTimeout(settings.timeout);
    value.setValue(timeout.serializeBinary());
  }
  if (settings.maxMessages !== undefined) {
    const value = values.get('BatchSize');
    if (value === undefined) throw new Error('the channel has no BatchSize');
    const size = orderer.BatchSize.deserializeBinary(value.getValue_asU8());
    size.setMaxMessageCount(settings.maxMessages);
    value.setValue(size.serializeBinary());
  }
  return updated;
}

/** The groups that carry a capability level: the channel itself, its orderer group, its application group. */
export type CapabilityGroup = 'channel' | 'orderer' | 'application';

function capabilityGroupOf(config: common.Config, group: CapabilityGroup): common.ConfigGroup {
  if (group === 'orderer') return ordererGroup(config);
  if (group === 'application') return application(config);
  const channel = config.getChannelGroup();
  if (channel === undefined) throw new Error('the config has no channel group');
  return channel;
}

/** The capability names a group has now (V2_0, V2_5…). */
export function capabilitiesOf(config: common.Config, group: CapabilityGroup): string[] {
  const value = capabilityGroupOf(config, group).getValuesMap().get('Capabilities');
  if (value === undefined) return [];
  return [...mapEntries(common.Capabilities.deserializeBinary(value.getValue_asU8()).getCapabilitiesMap()).keys()].sort();
}

/** The group's capability set to `level` alone, as configtxgen writes a level (mod_policy Admins when it had none). */
export function withCapability(config: common.Config, group: CapabilityGroup, level: string): common.Config {
  const updated = copyOf(config);
  const values = capabilityGroupOf(updated, group).getValuesMap();
  let value = values.get('Capabilities');
  if (value === undefined) {
    value = new common.ConfigValue();
    value.setModPolicy('Admins');
  }
  const capabilities = new common.Capabilities();
  capabilities.getCapabilitiesMap().set(level, new common.Capability());
  value.setValue(capabilities.serializeBinary());
  values.set('Capabilities', value);
  return updated;
}

/** A Raft consenter: where the other orderers reach it, and the TLS certificates it presents (PEM). */
export interface Consenter {
  host: string;
  port: number;
  clientTlsCert: string;
  serverTlsCert: string;
}

export const consenterAddress = (c: Pick<Consenter, 'host' | 'port'>): string => `${c.host}:${c.port}`;

function raftMetadata(config: common.Config): {
  value: common.ConfigValue;
  type: orderer.ConsensusType;
  raft: orderer.etcdraft.ConfigMetadata;
} {
  const value = ordererGroup(config).getValuesMap().get('ConsensusType');
  if (value === undefined) throw new Error('the channel has no ConsensusType');
  const type = orderer.ConsensusType.deserializeBinary(value.getValue_asU8());
  if (type.getType() !== 'etcdraft') throw new Error(`the channel's consensus is ${type.getType()}, not Raft`);
  return { value, type, raft: orderer.etcdraft.ConfigMetadata.deserializeBinary(type.getMetadata_asU8()) };
}

/** The channel's Raft consenters, in the config's order. */
export function consentersOf(config: common.Config): Consenter[] {
  return raftMetadata(config)
    .raft.getConsentersList()
    .map((c) => ({
      host: c.getHost(),
      port: c.getPort(),
      clientTlsCert: Buffer.from(c.getClientTlsCert_asU8()).toString('utf8'),
      serverTlsCert: Buffer.from(c.getServerTlsCert_asU8()).toString('utf8'),
    }));
}

/** Each ordering org's client endpoints (the orderer org groups' Endpoints values), by MSP ID. */
export function ordererEndpointsOf(config: common.Config): Map<string, string[]> {
  const endpoints = new Map<string, string[]>();
  for (const group of mapEntries<common.ConfigGroup>(ordererGroup(config).getGroupsMap()).values()) {
    const mspId = mspIdOf(group);
    const value = group.getValuesMap().get('Endpoints');
    if (mspId !== undefined)
      endpoints.set(mspId, value === undefined ? [] : common.OrdererAddresses.deserializeBinary(value.getValue_asU8()).getAddressesList());
  }
  return endpoints;
}

function withEndpoints(config: common.Config, edit: (mspId: string, addresses: string[]) => string[]): void {
  for (const group of mapEntries<common.ConfigGroup>(ordererGroup(config).getGroupsMap()).values()) {
    const mspId = mspIdOf(group);
    const value = group.getValuesMap().get('Endpoints');
    if (mspId === undefined || value === undefined) continue;
    const addresses = common.OrdererAddresses.deserializeBinary(value.getValue_asU8());
    const now = addresses.getAddressesList();
    const next = edit(mspId, now);
    if (next.join() === now.join()) continue;
    addresses.setAddressesList(next);
    value.setValue(addresses.serializeBinary());
  }
}

/**
 * The Raft set without the consenter at `address` (host:port), and that address gone from the
 * ordering orgs' client endpoints, as Fabric's guide to removing an orderer does.
 */
export function withoutConsenter(config: common.Config, address: string): common.Config {
  const updated = copyOf(config);
  const { value, type, raft } = raftMetadata(updated);
  raft.setConsentersList(raft.getConsentersList().filter((c) => consenterAddress({ host: c.getHost(), port: c.getPort() }) !== address));
  type.setMetadata(raft.serializeBinary());
  value.setValue(type.serializeBinary());
  withEndpoints(updated, (_msp, addresses) => addresses.filter((a) => a !== address));
  return updated;
}

/**
 * The Raft set with `consenter` added last. Its address is not yet among the client endpoints:
 * until it has caught up it refuses transactions, so Fabric's guide advertises it only then
 * (withOrdererEndpoint).
 */
export function withConsenter(config: common.Config, consenter: Consenter): common.Config {
  const updated = copyOf(config);
  const { value, type, raft } = raftMetadata(updated);
  const added = new orderer.etcdraft.Consenter();
  added.setHost(consenter.host);
  added.setPort(consenter.port);
  added.setClientTlsCert(new Uint8Array(Buffer.from(consenter.clientTlsCert)));
  added.setServerTlsCert(new Uint8Array(Buffer.from(consenter.serverTlsCert)));
  raft.addConsenters(added);
  type.setMetadata(raft.serializeBinary());
  value.setValue(type.serializeBinary());
  return updated;
}

/** `address` added last to the client endpoints of the ordering org `mspId`. */
export function withOrdererEndpoint(config: common.Config, mspId: string, address: string): common.Config {
  const updated = copyOf(config);
  withEndpoints(updated, (msp, addresses) => (msp === mspId && !addresses.includes(address) ? [...addresses, address] : addresses));
  return updated;
}
