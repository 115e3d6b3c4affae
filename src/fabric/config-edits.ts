import { common, peer } from '@hyperledger/fabric-protos';

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
