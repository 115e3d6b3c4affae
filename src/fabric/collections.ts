import { peer } from '@hyperledger/fabric-protos';
import { parseSignaturePolicy } from './policy.js';
import { PolicyError } from './policy-syntax.js';

/**
 * Private data collections in the JSON the peer CLI's --collections-config takes, turned into the
 * CollectionConfigPackage the lifecycle stores, with the CLI's defaults (requiredPeerCount 0,
 * maxPeerCount 1), so a definition approved here matches one approved with the CLI.
 */
export interface CollectionConfig {
  name: string;
  policy: string;
  requiredPeerCount?: number;
  maxPeerCount?: number;
  blockToLive?: number;
  memberOnlyRead?: boolean;
  memberOnlyWrite?: boolean;
  endorsementPolicy?: { signaturePolicy?: string; channelConfigPolicy?: string };
}

const MAX_COLLECTIONS = 64;

/** Checks the JSON text and names the first problem; nothing is sent anywhere. */
export function parseCollections(text: string): CollectionConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(`the collection configuration is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new PolicyError('the collection configuration must be a non-empty JSON array');
  if (raw.length > MAX_COLLECTIONS) throw new PolicyError(`at most ${MAX_COLLECTIONS} collections`);
  const names = new Set<string>();
  return raw.map((item: unknown, i): CollectionConfig => {
    const where = `collection ${i + 1}`;
    if (typeof item !== 'object' || item === null) throw new PolicyError(`${where} is not an object`);
    const c = item as Record<string, unknown>;
    if (typeof c.name !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(c.name))
      throw new PolicyError(`${where}: name must be letters, digits, "_" or "-"`);
    if (names.has(c.name)) throw new PolicyError(`${where}: the name ${c.name} is used twice`);
    names.add(c.name);
    if (typeof c.policy !== 'string') throw new PolicyError(`${c.name}: policy is missing`);
    parseSignaturePolicy(c.policy);
    const int = (key: string, min: number): number | undefined => {
      const v = c[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
        throw new PolicyError(`${c.name}: ${key} must be a whole number of at least ${min}`);
      return v;
    };
    const bool = (key: string): boolean | undefined => {
      const v = c[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'boolean') throw new PolicyError(`${c.name}: ${key} must be true or false`);
      return v;
    };
    const ep = c.endorsementPolicy as Record<string, unknown> | undefined;
    if (ep !== undefined) {
      if (typeof ep !== 'object' || ep === null) throw new PolicyError(`${c.name}: endorsementPolicy must be an object`);
      if (ep.signaturePolicy !== undefined && ep.channelConfigPolicy !== undefined)
        throw new PolicyError(`${c.name}: endorsementPolicy takes signaturePolicy or channelConfigPolicy, not both`);
      if (typeof ep.signaturePolicy === 'string') parseSignaturePolicy(ep.signaturePolicy);
    }
    const out: CollectionConfig = { name: c.name, policy: c.policy };
    const required = int('requiredPeerCount', 0);
    const max = int('maxPeerCount', 0);
    const btl = int('blockToLive', 0);
    if (required !== undefined) out.requiredPeerCount = required;
    if (max !== undefined) out.maxPeerCount = max;
    if ((out.requiredPeerCount ?? 0) > (out.maxPeerCount ?? 1)) throw new PolicyError(`${c.name}: requiredPeerCount is above maxPeerCount`);
    if (btl !== undefined) out.blockToLive = btl;
    const read = bool('memberOnlyRead');
    const write = bool('memberOnlyWrite');
    if (read !== undefined) out.memberOnlyRead = read;
    if (write !== undefined) out.memberOnlyWrite = write;
    if (ep !== undefined)
      out.endorsementPolicy = {
        ...(typeof ep.signaturePolicy === 'string' ? { signaturePolicy: ep.signaturePolicy } : {}),
        ...(typeof ep.channelConfigPolicy === 'string' ? { channelConfigPolicy: ep.channelConfigPolicy } : {}),
      };
    return out;
  });
}

/** The application policy of a definition or a collection: a signature policy or a channel policy reference. */
export function applicationPolicy(p: { signaturePolicy?: string; channelConfigPolicy?: string }): peer.ApplicationPolicy | undefined {
  if (p.signaturePolicy === undefined && p.channelConfigPolicy === undefined) return undefined;
  const policy = new peer.ApplicationPolicy();
  if (p.signaturePolicy !== undefined) policy.setSignaturePolicy(parseSignaturePolicy(p.signaturePolicy));
  else policy.setChannelConfigPolicyReference(p.channelConfigPolicy as string);
  return policy;
}

export function collectionPackage(collections: CollectionConfig[]): peer.CollectionConfigPackage {
  const pkg = new peer.CollectionConfigPackage();
  pkg.setConfigList(
    collections.map((c) => {
      const memberOrgs = new peer.CollectionPolicyConfig();
      memberOrgs.setSignaturePolicy(parseSignaturePolicy(c.policy));
      const s = new peer.StaticCollectionConfig();
      s.setName(c.name);
      s.setMemberOrgsPolicy(memberOrgs);
      s.setRequiredPeerCount(c.requiredPeerCount ?? 0);
      s.setMaximumPeerCount(c.maxPeerCount ?? 1);
      s.setBlockToLive(c.blockToLive ?? 0);
      s.setMemberOnlyRead(c.memberOnlyRead ?? false);
      s.setMemberOnlyWrite(c.memberOnlyWrite ?? false);
      const ep = c.endorsementPolicy === undefined ? undefined : applicationPolicy(c.endorsementPolicy);
      if (ep !== undefined) s.setEndorsementPolicy(ep);
      const config = new peer.CollectionConfig();
      config.setStaticCollectionConfig(s);
      return config;
    }),
  );
  return pkg;
}
