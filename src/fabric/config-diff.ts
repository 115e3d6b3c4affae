import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import { crlSerials } from './crl.js';
import { mapEntries, sameBytes } from './proto-maps.js';

/**
 * What changes between two channel configs, one line each in an operator's words (batch timeout,
 * anchor peers, consenters, capabilities, ACLs, orgs and policies added or removed), for the plan
 * a config update's approvers read before they sign.
 */
export function describeConfigChange(original: common.Config, updated: common.Config): string[] {
  const [from, to] = [original.getChannelGroup(), updated.getChannelGroup()];
  if (from === undefined || to === undefined) throw new Error('a config without a channel group cannot be compared');
  const lines: string[] = [];
  compareGroups(from, to, ['Channel'], lines);
  return lines;
}

/** A group's place in operator words: the channel, the orderer, the application, or an org. */
function where(path: string[]): string {
  if (path.length === 1) return 'the channel';
  if (path.length === 2) return path[1] === 'Orderer' ? 'the orderer' : path[1] === 'Application' ? 'the application' : (path[1] as string);
  return path.at(-1) as string;
}

function compareGroups(from: common.ConfigGroup, to: common.ConfigGroup, path: string[], lines: string[]): void {
  const here = where(path);
  if (from.getModPolicy() !== to.getModPolicy())
    lines.push(`who may change ${here}: ${from.getModPolicy() || 'nobody'} → ${to.getModPolicy() || 'nobody'}`);

  const [valuesBefore, valuesAfter] = [
    mapEntries<common.ConfigValue>(from.getValuesMap()),
    mapEntries<common.ConfigValue>(to.getValuesMap()),
  ];
  for (const name of new Set([...valuesBefore.keys(), ...valuesAfter.keys()])) {
    const [a, b] = [valuesBefore.get(name), valuesAfter.get(name)];
    if (a !== undefined && b !== undefined && a.getModPolicy() !== b.getModPolicy())
      lines.push(`who may change ${describeValueName(name)} of ${here}: ${a.getModPolicy()} → ${b.getModPolicy()}`);
    if (a !== undefined && b !== undefined && sameBytes(a.getValue_asU8(), b.getValue_asU8())) continue;
    if (name === 'ACLs') {
      lines.push(...aclChanges(a?.getValue_asU8(), b?.getValue_asU8(), here));
      continue;
    }
    const show = (v: common.ConfigValue | undefined): string => (v === undefined ? 'none' : renderValue(name, v.getValue_asU8()));
    lines.push(`${describeValueName(name)} of ${here}: ${show(a)} → ${show(b)}`);
  }

  const [policiesBefore, policiesAfter] = [
    mapEntries<common.ConfigPolicy>(from.getPoliciesMap()),
    mapEntries<common.ConfigPolicy>(to.getPoliciesMap()),
  ];
  for (const name of new Set([...policiesBefore.keys(), ...policiesAfter.keys()])) {
    const [a, b] = [policiesBefore.get(name), policiesAfter.get(name)];
    const show = (p: common.ConfigPolicy | undefined): string => (p === undefined ? 'none' : renderPolicy(p.getPolicy()));
    if (a === undefined || b === undefined || show(a) !== show(b)) lines.push(`policy ${name} of ${here}: ${show(a)} → ${show(b)}`);
    else if (a.getModPolicy() !== b.getModPolicy())
      lines.push(`who may change policy ${name} of ${here}: ${a.getModPolicy()} → ${b.getModPolicy()}`);
  }

  const [groupsBefore, groupsAfter] = [
    mapEntries<common.ConfigGroup>(from.getGroupsMap()),
    mapEntries<common.ConfigGroup>(to.getGroupsMap()),
  ];
  for (const name of new Set([...groupsBefore.keys(), ...groupsAfter.keys()])) {
    const [a, b] = [groupsBefore.get(name), groupsAfter.get(name)];
    const kind = path.length === 2 ? 'org ' : '';
    if (a === undefined) lines.push(`${kind}${name} added to ${here}`);
    else if (b === undefined) lines.push(`${kind}${name} removed from ${here}`);
    else compareGroups(a, b, [...path, name], lines);
  }
}

const VALUE_NAMES: Record<string, string> = {
  BatchTimeout: 'batch timeout',
  BatchSize: 'batch size',
  AnchorPeers: 'anchor peers',
  ConsensusType: 'consensus',
  Capabilities: 'capabilities',
  ACLs: 'ACLs',
  MSP: 'MSP definition',
  OrdererAddresses: 'orderer addresses',
  Endpoints: 'orderer endpoints',
};

const describeValueName = (name: string): string => VALUE_NAMES[name] ?? `value ${name}`;

const kb = (bytes: number): string => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${Math.round(bytes / 1024)} KB`);

/** A config value in an operator's words (batch timeout, anchor peers, an MSP definition…), by its name in the config. */
export function renderValue(name: string, bytes: Uint8Array): string {
  switch (name) {
    case 'BatchTimeout':
      return orderer.BatchTimeout.deserializeBinary(bytes).getTimeout();
    case 'BatchSize': {
      const s = orderer.BatchSize.deserializeBinary(bytes);
      return `${s.getMaxMessageCount()} messages, ${kb(s.getAbsoluteMaxBytes())} absolute, ${kb(s.getPreferredMaxBytes())} preferred`;
    }
    case 'AnchorPeers': {
      const peers = peer.AnchorPeers.deserializeBinary(bytes).getAnchorPeersList();
      return peers.length === 0 ? 'none' : peers.map((p) => `${p.getHost()}:${p.getPort()}`).join(', ');
    }
    case 'Capabilities': {
      const names = [...mapEntries(common.Capabilities.deserializeBinary(bytes).getCapabilitiesMap()).keys()].sort();
      return names.length === 0 ? 'none' : names.join(', ');
    }
    case 'ConsensusType': {
      const c = orderer.ConsensusType.deserializeBinary(bytes);
      if (c.getType() !== 'etcdraft')
        return `${c.getType()} (${c.getState() === orderer.ConsensusType.State.STATE_NORMAL ? 'normal' : 'maintenance'})`;
      const consenters = orderer.etcdraft.ConfigMetadata.deserializeBinary(c.getMetadata_asU8()).getConsentersList();
      return `Raft, consenters ${consenters.map((x) => `${x.getHost()}:${x.getPort()}`).join(', ')}`;
    }
    case 'MSP': {
      const d = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(bytes).getConfig_asU8());
      const revoked = d.getRevocationListList_asU8().flatMap((crl) => {
        try {
          return crlSerials(Buffer.from(crl).toString('utf8'));
        } catch {
          return ['(a CRL that cannot be read)'];
        }
      });
      const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
      return (
        `${d.getName()}: ${count(d.getRootCertsList().length, 'root CA')}, ${count(d.getIntermediateCertsList().length, 'intermediate CA')}, ` +
        `${count(d.getTlsRootCertsList().length, 'TLS root')}, ` +
        (revoked.length === 0
          ? 'no revoked certificates'
          : `${count(revoked.length, 'revoked certificate')} (serials ${revoked.join(', ')})`)
      );
    }
    case 'OrdererAddresses':
    case 'Endpoints':
      return common.OrdererAddresses.deserializeBinary(bytes).getAddressesList().join(', ');
    default:
      return `${bytes.length} bytes`;
  }
}

const aclsOf = (bytes: Uint8Array | undefined): Map<string, string> =>
  new Map(
    [...mapEntries<peer.APIResource>(peer.ACLs.deserializeBinary(bytes ?? new Uint8Array()).getAclsMap())].map(([k, v]) => [
      k,
      v.getPolicyRef(),
    ]),
  );

/** One line per resource whose ACL changes; a resource the channel does not name keeps Fabric's default. */
function aclChanges(before: Uint8Array | undefined, after: Uint8Array | undefined, here: string): string[] {
  const [a, b] = [aclsOf(before), aclsOf(after)];
  return [...new Set([...a.keys(), ...b.keys()])]
    .sort()
    .filter((r) => a.get(r) !== b.get(r))
    .map((r) => `ACL ${r} of ${here}: ${a.get(r) ?? "Fabric's default"} → ${b.get(r) ?? "Fabric's default"}`);
}

function renderPolicy(policy: common.Policy | undefined): string {
  if (policy === undefined) return 'none';
  if (policy.getType() === common.Policy.PolicyType.IMPLICIT_META) {
    const meta = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
    const rule = Object.entries(common.ImplicitMetaPolicy.Rule).find(([, v]) => v === meta.getRule())?.[0] ?? '?';
    return `${rule} ${meta.getSubPolicy()}`;
  }
  if (policy.getType() === common.Policy.PolicyType.SIGNATURE) return 'a signature policy';
  return `a policy of type ${policy.getType()}`;
}
