import { randomBytes } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';
import { sha256 } from './connection.js';
import { mapEntries } from './proto-maps.js';

/**
 * A new channel's genesis block, made from a channel the network runs: its ordering (Raft set,
 * batch values, ordering orgs, policies), its channel values and capabilities, its application
 * policies and ACLs, with the application orgs given instead of its own. Every element starts at
 * version 0, as configtxgen writes a genesis config; the block is built as configtxgen's
 * `-outputBlock` builds it (one unsigned CONFIG envelope, LAST_CONFIG 0).
 */

/** An application org for the new channel: its key in the Application group and its group. */
export interface MemberGroup {
  key: string;
  group: common.ConfigGroup;
}

function atVersionZero(group: common.ConfigGroup): void {
  group.setVersion(0);
  for (const value of mapEntries<common.ConfigValue>(group.getValuesMap()).values()) value.setVersion(0);
  for (const policy of mapEntries<common.ConfigPolicy>(group.getPoliciesMap()).values()) policy.setVersion(0);
  for (const child of mapEntries<common.ConfigGroup>(group.getGroupsMap()).values()) atVersionZero(child);
}

/** The genesis config: `template`'s, with `members` as the application's orgs, everything at version 0. */
export function newChannelConfig(template: common.Config, members: readonly MemberGroup[]): common.Config {
  const config = common.Config.deserializeBinary(template.serializeBinary());
  const application = config.getChannelGroup()?.getGroupsMap().get('Application');
  if (application === undefined) throw new Error('the template channel has no Application group');
  const orgs = application.getGroupsMap();
  orgs.clear();
  for (const { key, group } of members) orgs.set(key, common.ConfigGroup.deserializeBinary(group.serializeBinary()));
  const channel = config.getChannelGroup() as common.ConfigGroup;
  atVersionZero(channel);
  config.setSequence(0);
  return config;
}

const metadata = (value: Uint8Array): Uint8Array => {
  const m = new common.Metadata();
  m.setValue(value);
  return m.serializeBinary();
};

/** Block 0 of `channel` holding `config`: what each orderer joins the channel with, and each peer after it. */
export function genesisBlockOf(channel: string, config: common.Config): Uint8Array {
  const envelopeData = new common.ConfigEnvelope();
  envelopeData.setConfig(config);

  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setNonce(randomBytes(24));
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.CONFIG);
  channelHeader.setVersion(1);
  channelHeader.setChannelId(channel);
  channelHeader.setEpoch(0);
  channelHeader.setTimestamp(timestampPb.Timestamp.fromDate(new Date()));
  // As protoutil.ComputeTxID: the nonce and the (empty) creator, hashed.
  channelHeader.setTxId(Buffer.from(sha256(signatureHeader.getNonce_asU8())).toString('hex'));
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(envelopeData.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());

  const data = new common.BlockData();
  const bytes = envelope.serializeBinary();
  data.setDataList([bytes]);
  const blockHeader = new common.BlockHeader();
  blockHeader.setNumber(0);
  blockHeader.setDataHash(sha256(bytes));
  const lastConfig = new common.LastConfig();
  lastConfig.setIndex(0);
  const ordererMetadata = new common.OrdererBlockMetadata();
  ordererMetadata.setLastConfig(lastConfig);
  const blockMetadata = new common.BlockMetadata();
  // SIGNATURES, LAST_CONFIG, TRANSACTIONS_FILTER, ORDERER, COMMIT_HASH: configtxgen fills the first two.
  blockMetadata.setMetadataList([
    metadata(ordererMetadata.serializeBinary()),
    metadata(lastConfig.serializeBinary()),
    new Uint8Array(),
    new Uint8Array(),
    new Uint8Array(),
  ]);
  const block = new common.Block();
  block.setHeader(blockHeader);
  block.setData(data);
  block.setMetadata(blockMetadata);
  return block.serializeBinary();
}
