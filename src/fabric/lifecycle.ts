import { createHash } from 'node:crypto';
import { applicationPolicy, collectionPackage, type CollectionConfig } from './collections.js';
import { gzipSync } from 'node:zlib';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { peer } from '@hyperledger/fabric-protos';
import type { FabricIdentity, PeerEndpoint } from './connection.js';
import { PeerProposalError, peerLocalCall } from './proposal.js';
import { retry } from '../retry.js';

const lifecycle = peer.lifecycle;

/** A chaincode definition as the channel agrees on it (the 2.x lifecycle). */
export interface ChaincodeDefinition {
  channel: string;
  name: string;
  version: string;
  sequence: number;
  /** A channel policy reference; default (with no signature policy) /Channel/Application/Endorsement. */
  endorsementPolicyRef?: string;
  /** A signature policy such as "AND('Org1MSP.peer','Org2MSP.peer')", instead of a channel policy. */
  signaturePolicy?: string;
  /** Private data collections. */
  collections?: CollectionConfig[];
}

/** A tar archive of small in-memory files (ustar), enough for a chaincode package. */
function tar(files: Record<string, Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of Object.entries(files)) {
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136); // mtime 0: the same package bytes, so the same package id
    header.write('        ', 148); // checksum placeholder
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** How the peer secures its connection to a chaincode server: the CA that issued the server's TLS certificate. */
export interface ChaincodeServerTls {
  rootCertPem: string;
}

/**
 * A chaincode-as-a-service package: metadata.json of type ccaas and code.tar.gz holding
 * connection.json, the address the peer dials and, with `tls`, the root the peer verifies the
 * server's certificate against (the server's name must be in it). Deterministic, so the same
 * inputs give the same id.
 */
export function ccaasPackage(label: string, address: string, tls?: ChaincodeServerTls): { bytes: Buffer; packageId: string } {
  const security =
    tls === undefined ? { tls_required: false } : { tls_required: true, client_auth_required: false, root_cert: tls.rootCertPem };
  const connection = Buffer.from(JSON.stringify({ address, dial_timeout: '10s', ...security }));
  const code = gzipSync(tar({ 'connection.json': connection }), { level: 9 });
  const bytes = gzipSync(tar({ 'metadata.json': Buffer.from(JSON.stringify({ type: 'ccaas', label })), 'code.tar.gz': code }), {
    level: 9,
  });
  return { bytes, packageId: packageIdOf(label, bytes) };
}

export const packageIdOf = (label: string, bytes: Uint8Array): string => `${label}:${createHash('sha256').update(bytes).digest('hex')}`;

/** Installs on one peer; a package the peer already has counts as installed. */
export async function installPackage(
  target: PeerEndpoint,
  admin: FabricIdentity,
  bytes: Uint8Array,
): Promise<{ packageId: string; alreadyInstalled: boolean }> {
  const args = new lifecycle.InstallChaincodeArgs();
  args.setChaincodeInstallPackage(bytes);
  try {
    const result = lifecycle.InstallChaincodeResult.deserializeBinary(
      await peerLocalCall(target, admin, '_lifecycle', 'InstallChaincode', [args.serializeBinary()]),
    );
    return { packageId: result.getPackageId(), alreadyInstalled: false };
  } catch (err) {
    const installed =
      err instanceof PeerProposalError ? /already successfully installed \(package ID '([^']+)'\)/.exec(err.message)?.[1] : undefined;
    if (installed !== undefined) return { packageId: installed, alreadyInstalled: true };
    throw err;
  }
}

async function installedChaincodes(target: PeerEndpoint, admin: FabricIdentity) {
  const payload = await peerLocalCall(target, admin, '_lifecycle', 'QueryInstalledChaincodes', [
    new lifecycle.QueryInstalledChaincodesArgs().serializeBinary(),
  ]);
  return lifecycle.QueryInstalledChaincodesResult.deserializeBinary(payload).getInstalledChaincodesList();
}

export async function installedPackages(target: PeerEndpoint, admin: FabricIdentity): Promise<string[]> {
  return (await installedChaincodes(target, admin)).map((c) => c.getPackageId());
}

/** The package the peer runs `name` `version` from on `channel` (its references), if it has one. */
export async function packageInUse(
  target: PeerEndpoint,
  admin: FabricIdentity,
  at: { channel: string; name: string; version: string },
): Promise<string | undefined> {
  const found = (await installedChaincodes(target, admin)).find((c) =>
    c
      .getReferencesMap()
      .get(at.channel)
      ?.getChaincodesList()
      .some((cc) => cc.getName() === at.name && cc.getVersion() === at.version),
  );
  return found?.getPackageId();
}

function validationParameter(def: ChaincodeDefinition): Uint8Array {
  const policy = applicationPolicy(
    def.signaturePolicy !== undefined
      ? { signaturePolicy: def.signaturePolicy }
      : { channelConfigPolicy: def.endorsementPolicyRef ?? '/Channel/Application/Endorsement' },
  );
  return (policy as peer.ApplicationPolicy).serializeBinary();
}

function defineArgs<
  T extends
    | InstanceType<typeof lifecycle.ApproveChaincodeDefinitionForMyOrgArgs>
    | InstanceType<typeof lifecycle.CommitChaincodeDefinitionArgs>
    | InstanceType<typeof lifecycle.CheckCommitReadinessArgs>,
>(args: T, def: ChaincodeDefinition): T {
  args.setName(def.name);
  args.setVersion(def.version);
  args.setSequence(def.sequence);
  args.setEndorsementPlugin('escc');
  args.setValidationPlugin('vscc');
  args.setValidationParameter(validationParameter(def));
  args.setInitRequired(false);
  if (def.collections !== undefined && def.collections.length > 0) args.setCollections(collectionPackage(def.collections));
  return args;
}

/** The org's approval (approveformyorg), endorsed by its own peers; approving the same definition again is a no-op. */
export async function approveForMyOrg(
  gateway: Gateway,
  def: ChaincodeDefinition,
  packageId: string,
  mspId: string,
): Promise<'approved' | 'already-approved'> {
  const args = defineArgs(new lifecycle.ApproveChaincodeDefinitionForMyOrgArgs(), def);
  const source = new lifecycle.ChaincodeSource();
  const local = new lifecycle.ChaincodeSource.Local();
  local.setPackageId(packageId);
  source.setLocalPackage(local);
  args.setSource(source);
  if ((await commitReadiness(gateway, def))[mspId] === true) return 'already-approved';
  try {
    await gateway
      .getNetwork(def.channel)
      .getContract('_lifecycle')
      .submit('ApproveChaincodeDefinitionForMyOrg', { arguments: [args.serializeBinary()], endorsingOrganizations: [mspId] });
  } catch (err) {
    // Another job approved the same definition between our check and our submit: Fabric says
    // "unchanged content", or invalidates our transaction with an MVCC read conflict.
    const text = err instanceof Error ? `${err.message} ${JSON.stringify((err as { details?: unknown }).details ?? '')}` : String(err);
    if (/with unchanged content|MVCC_READ_CONFLICT/.test(text) && (await commitReadiness(gateway, def))[mspId] === true)
      return 'already-approved';
    throw err;
  }
  return 'approved';
}

/** Which orgs have approved exactly this definition. */
export async function commitReadiness(gateway: Gateway, def: ChaincodeDefinition): Promise<Record<string, boolean>> {
  const args = defineArgs(new lifecycle.CheckCommitReadinessArgs(), def);
  const payload = await gateway
    .getNetwork(def.channel)
    .getContract('_lifecycle')
    .evaluate('CheckCommitReadiness', { arguments: [args.serializeBinary()] });
  return Object.fromEntries(lifecycle.CheckCommitReadinessResult.deserializeBinary(payload).getApprovalsMap().toArray());
}

/** The committed definition's sequence and version, or undefined when none is committed. */
export async function committedDefinition(
  gateway: Gateway,
  channel: string,
  name: string,
): Promise<{ sequence: number; version: string } | undefined> {
  const args = new lifecycle.QueryChaincodeDefinitionArgs();
  args.setName(name);
  try {
    const payload = await gateway
      .getNetwork(channel)
      .getContract('_lifecycle')
      .evaluate('QueryChaincodeDefinition', { arguments: [args.serializeBinary()] });
    const result = lifecycle.QueryChaincodeDefinitionResult.deserializeBinary(payload);
    return { sequence: result.getSequence(), version: result.getVersion() };
  } catch (err) {
    if (err instanceof Error && /namespace \S+ is not defined/.test(err.message)) return undefined;
    throw err;
  }
}

/** Every chaincode committed on the channel, with its version and sequence. */
export async function committedDefinitions(
  gateway: Gateway,
  channel: string,
): Promise<{ name: string; sequence: number; version: string }[]> {
  const payload = await gateway
    .getNetwork(channel)
    .getContract('_lifecycle')
    .evaluate('QueryChaincodeDefinitions', { arguments: [new lifecycle.QueryChaincodeDefinitionsArgs().serializeBinary()] });
  return lifecycle.QueryChaincodeDefinitionsResult.deserializeBinary(payload)
    .getChaincodeDefinitionsList()
    .map((d) => ({ name: d.getName(), sequence: d.getSequence(), version: d.getVersion() }));
}

/** Commits the definition, endorsed by the given orgs; a definition already committed at this sequence is left alone. */
export async function commitDefinition(
  gateway: Gateway,
  def: ChaincodeDefinition,
  endorsingOrgs: string[],
): Promise<'committed' | 'already-committed'> {
  const current = await committedDefinition(gateway, def.channel, def.name);
  if (current !== undefined && current.sequence >= def.sequence) return 'already-committed';
  const args = defineArgs(new lifecycle.CommitChaincodeDefinitionArgs(), def);
  // The gateway learns other orgs' peers through gossip; just after a peer (re)starts it may not
  // know them yet, so "no endorsing peers" is retried for a while before it counts.
  await retry(
    () =>
      gateway
        .getNetwork(def.channel)
        .getContract('_lifecycle')
        .submit('CommitChaincodeDefinition', { arguments: [args.serializeBinary()], endorsingOrganizations: endorsingOrgs }),
    {
      retryIf: (err) => err instanceof Error && /failed to find any endorsing peers/.test(err.message),
      withinMs: 60_000,
      delayMs: 2000,
    },
  );
  return 'committed';
}

/** The bytes of a package a peer has installed, to install the same package elsewhere. */
export async function installedPackageBytes(target: PeerEndpoint, admin: FabricIdentity, packageId: string): Promise<Uint8Array> {
  const args = new lifecycle.GetInstalledChaincodePackageArgs();
  args.setPackageId(packageId);
  const payload = await peerLocalCall(target, admin, '_lifecycle', 'GetInstalledChaincodePackage', [args.serializeBinary()]);
  return lifecycle.GetInstalledChaincodePackageResult.deserializeBinary(payload).getChaincodeInstallPackage_asU8();
}

/**
 * The org's approval of the definition committed on the channel, exactly as committed (version,
 * sequence, plugins, endorsement policy, collections), running `packageId`: what an org that joins
 * the channel does before its peers endorse the chaincode. Approving it again is a no-op.
 */
export async function approveCommitted(
  gateway: Gateway,
  channel: string,
  name: string,
  packageId: string,
  mspId: string,
): Promise<{ outcome: 'approved' | 'already-approved'; version: string; sequence: number }> {
  const query = new lifecycle.QueryChaincodeDefinitionArgs();
  query.setName(name);
  const contract = gateway.getNetwork(channel).getContract('_lifecycle');
  const committed = lifecycle.QueryChaincodeDefinitionResult.deserializeBinary(
    await contract.evaluate('QueryChaincodeDefinition', { arguments: [query.serializeBinary()] }),
  );
  const [version, sequence] = [committed.getVersion(), committed.getSequence()];
  if (committed.getApprovalsMap().get(mspId) === true) return { outcome: 'already-approved', version, sequence };
  const args = new lifecycle.ApproveChaincodeDefinitionForMyOrgArgs();
  args.setName(name);
  args.setVersion(version);
  args.setSequence(sequence);
  args.setEndorsementPlugin(committed.getEndorsementPlugin());
  args.setValidationPlugin(committed.getValidationPlugin());
  args.setValidationParameter(committed.getValidationParameter_asU8());
  args.setInitRequired(committed.getInitRequired());
  const collections = committed.getCollections();
  if (collections !== undefined) args.setCollections(collections);
  const source = new lifecycle.ChaincodeSource();
  const local = new lifecycle.ChaincodeSource.Local();
  local.setPackageId(packageId);
  source.setLocalPackage(local);
  args.setSource(source);
  await contract.submit('ApproveChaincodeDefinitionForMyOrg', { arguments: [args.serializeBinary()], endorsingOrganizations: [mspId] });
  return { outcome: 'approved', version, sequence };
}
