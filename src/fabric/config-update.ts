import { common } from '@hyperledger/fabric-protos';
import { mapEntries, sameBytes } from './proto-maps.js';

/**
 * The ConfigUpdate that takes a channel from `original` to `updated`, as Fabric's configtxlator
 * `compute_update` computes it: the read set names the versions the change depends on, the write
 * set carries every changed element at its version + 1 and, where a map's membership changed, the
 * unchanged members at their current versions. Throws when nothing differs.
 */
export function computeConfigUpdate(channelId: string, original: common.Config, updated: common.Config): common.ConfigUpdate {
  const [from, to] = [original.getChannelGroup(), updated.getChannelGroup()];
  if (from === undefined || to === undefined) throw new Error('a config without a channel group cannot be compared');
  const { readSet, writeSet, changed } = groupUpdate(from, to);
  if (!changed) throw new Error('no differences between the original and the updated config');
  const update = new common.ConfigUpdate();
  update.setChannelId(channelId);
  update.setReadSet(readSet);
  update.setWriteSet(writeSet);
  return update;
}

interface MapUpdate<T> {
  readSet: Map<string, T>;
  writeSet: Map<string, T>;
  /** Members left as they were, at their versions: written into both sets when the map's membership changed. */
  sameSet: Map<string, T>;
  membersChanged: boolean;
}

/** One of a group's three maps (policies, values, groups), with how to compare and version its members. */
interface Member<T> {
  unchanged(a: T, b: T): boolean;
  /** The member as the read set records it: its version only (groups: their read set). */
  atVersion(a: T): T;
  /** The member as the write set carries it: the updated content at `version`. */
  written(updated: T, version: number): T;
  version(a: T): number;
}

const POLICY: Member<common.ConfigPolicy> = {
  unchanged: (a, b) =>
    a.getModPolicy() === b.getModPolicy() && sameBytes(a.getPolicy()?.serializeBinary(), b.getPolicy()?.serializeBinary()),
  atVersion: (a) => {
    const p = new common.ConfigPolicy();
    p.setVersion(a.getVersion());
    return p;
  },
  written: (u, version) => {
    const p = new common.ConfigPolicy();
    p.setVersion(version);
    p.setModPolicy(u.getModPolicy());
    p.setPolicy(u.getPolicy());
    return p;
  },
  version: (a) => a.getVersion(),
};

const VALUE: Member<common.ConfigValue> = {
  unchanged: (a, b) => a.getModPolicy() === b.getModPolicy() && sameBytes(a.getValue_asU8(), b.getValue_asU8()),
  atVersion: (a) => {
    const v = new common.ConfigValue();
    v.setVersion(a.getVersion());
    return v;
  },
  written: (u, version) => {
    const v = new common.ConfigValue();
    v.setVersion(version);
    v.setModPolicy(u.getModPolicy());
    v.setValue(u.getValue_asU8());
    return v;
  },
  version: (a) => a.getVersion(),
};

function mapUpdate<T>(original: Map<string, T>, updated: Map<string, T>, m: Member<T>): MapUpdate<T> {
  const result: MapUpdate<T> = { readSet: new Map(), writeSet: new Map(), sameSet: new Map(), membersChanged: false };
  for (const [name, before] of original) {
    const after = updated.get(name);
    if (after === undefined) result.membersChanged = true;
    else if (m.unchanged(before, after)) result.sameSet.set(name, m.atVersion(before));
    else result.writeSet.set(name, m.written(after, m.version(before) + 1));
  }
  for (const [name, after] of updated) {
    if (original.has(name)) continue;
    result.membersChanged = true;
    result.writeSet.set(name, m.written(after, 0));
  }
  return result;
}

function groupsMapUpdate(
  original: Map<string, common.ConfigGroup>,
  updated: Map<string, common.ConfigGroup>,
): MapUpdate<common.ConfigGroup> {
  const result: MapUpdate<common.ConfigGroup> = { readSet: new Map(), writeSet: new Map(), sameSet: new Map(), membersChanged: false };
  for (const [name, before] of original) {
    const after = updated.get(name);
    if (after === undefined) {
      result.membersChanged = true;
      continue;
    }
    const { readSet, writeSet, changed } = groupUpdate(before, after);
    if (!changed) result.sameSet.set(name, readSet);
    else {
      result.readSet.set(name, readSet);
      result.writeSet.set(name, writeSet);
    }
  }
  for (const [name, after] of updated) {
    if (original.has(name)) continue;
    result.membersChanged = true;
    // A new group is written whole, at version 0 throughout.
    const { writeSet } = groupUpdate(new common.ConfigGroup(), after);
    writeSet.setVersion(0);
    writeSet.setModPolicy(after.getModPolicy());
    result.writeSet.set(name, writeSet);
  }
  return result;
}

function group(
  version: number,
  modPolicy: string,
  parts: { policies: Map<string, common.ConfigPolicy>; values: Map<string, common.ConfigValue>; groups: Map<string, common.ConfigGroup> },
): common.ConfigGroup {
  const g = new common.ConfigGroup();
  g.setVersion(version);
  g.setModPolicy(modPolicy);
  for (const [k, v] of parts.policies) g.getPoliciesMap().set(k, v);
  for (const [k, v] of parts.values) g.getValuesMap().set(k, v);
  for (const [k, v] of parts.groups) g.getGroupsMap().set(k, v);
  return g;
}

function groupUpdate(
  original: common.ConfigGroup,
  updated: common.ConfigGroup,
): { readSet: common.ConfigGroup; writeSet: common.ConfigGroup; changed: boolean } {
  const policies = mapUpdate(mapEntries(original.getPoliciesMap()), mapEntries(updated.getPoliciesMap()), POLICY);
  const values = mapUpdate(mapEntries(original.getValuesMap()), mapEntries(updated.getValuesMap()), VALUE);
  const groups = groupsMapUpdate(mapEntries(original.getGroupsMap()), mapEntries(updated.getGroupsMap()));
  const version = original.getVersion();
  const membershipChanged =
    policies.membersChanged || values.membersChanged || groups.membersChanged || original.getModPolicy() !== updated.getModPolicy();
  if (!membershipChanged) {
    const nothingInside = [policies, values, groups].every((u) => u.readSet.size === 0 && u.writeSet.size === 0);
    if (nothingInside) return { readSet: group(version, '', EMPTY), writeSet: group(version, '', EMPTY), changed: false };
    // Only members changed: this group itself keeps its version, and needs no mod_policy of its own.
    return {
      readSet: group(version, '', { policies: policies.readSet, values: values.readSet, groups: groups.readSet }),
      writeSet: group(version, '', { policies: policies.writeSet, values: values.writeSet, groups: groups.writeSet }),
      changed: true,
    };
  }
  // The group's membership (or mod_policy) changed: the whole group is rewritten at version + 1, naming
  // every member it keeps, so the unchanged ones go into both sets at their versions.
  for (const u of [policies, values, groups] as MapUpdate<unknown>[]) {
    for (const [k, same] of u.sameSet) {
      u.readSet.set(k, same);
      u.writeSet.set(k, same);
    }
  }
  return {
    readSet: group(version, '', { policies: policies.readSet, values: values.readSet, groups: groups.readSet }),
    writeSet: group(version + 1, updated.getModPolicy(), { policies: policies.writeSet, values: values.writeSet, groups: groups.writeSet }),
    changed: true,
  };
}

const EMPTY = { policies: new Map(), values: new Map(), groups: new Map() };
