import { type common, peer } from '@hyperledger/fabric-protos';
import { renderValue } from './config-diff.js';
import { aclOf, anchorPeersOf, applicationOrgs, revocationListOf } from './config-edits.js';
import { evaluatePolicy, policyExists } from './config-policy.js';
import { crlSerials } from './crl.js';
import { mapEntries } from './proto-maps.js';

/** A channel's configuration as an operator reads it: who is in it, who decides, how blocks are cut. */
export interface ChannelSummary {
  sequence: number;
  orgs: { mspId: string; anchorPeers: string[]; revoked: number }[];
  /** What the channel's main policies ask, e.g. Admins: "MAJORITY of Admins: 2 of Org1MSP, Org2MSP". */
  policies: { policy: string; asks: string }[];
  /** The orderer group's values in words: consensus and consenters, batch timeout, batch size, capabilities. */
  orderer: { name: string; value: string }[];
  /** Resources whose ACL the channel sets apart from Fabric's defaults. */
  acls: { resource: string; policy: string }[];
  capabilities: string;
}

const POLICIES = ['/Channel/Application/Admins', '/Channel/Application/Writers', '/Channel/Application/Readers', '/Channel/Orderer/Admins'];
const ORDERER_VALUES: Record<string, string> = {
  ConsensusType: 'consensus',
  BatchTimeout: 'batch timeout',
  BatchSize: 'batch size',
  Capabilities: 'capabilities',
};

export function summarizeConfig(config: common.Config): ChannelSummary {
  const channel = config.getChannelGroup();
  const ordererGroup = channel?.getGroupsMap().get('Orderer');
  const application = channel?.getGroupsMap().get('Application');
  const acls = application?.getValuesMap().get('ACLs');
  const resources = acls === undefined ? [] : aclResources(acls);
  const capabilities = channel?.getValuesMap().get('Capabilities');
  return {
    sequence: config.getSequence(),
    orgs: applicationOrgs(config).map((mspId) => ({
      mspId,
      anchorPeers: anchorPeersOf(config, mspId).map((p) => `${p.host}:${p.port}`),
      revoked: revocationListOf(config, mspId).flatMap((pem) => {
        try {
          return crlSerials(pem);
        } catch {
          return [];
        }
      }).length,
    })),
    policies: POLICIES.filter((p) => policyExists(config, p)).map((policy) => ({ policy, asks: evaluatePolicy(config, policy, []).asks })),
    orderer: Object.entries(ORDERER_VALUES).flatMap(([key, name]) => {
      const value = ordererGroup?.getValuesMap().get(key);
      return value === undefined ? [] : [{ name, value: renderValue(key, value.getValue_asU8()) }];
    }),
    acls: resources.map((resource) => ({ resource, policy: aclOf(config, resource) ?? '' })),
    capabilities: capabilities === undefined ? 'none' : renderValue('Capabilities', capabilities.getValue_asU8()),
  };
}

const aclResources = (value: common.ConfigValue): string[] =>
  [...mapEntries(peer.ACLs.deserializeBinary(value.getValue_asU8()).getAclsMap()).keys()].sort();
