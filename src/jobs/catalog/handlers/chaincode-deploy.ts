import type * as kinds from '../kinds.js';
import { withGateway, type PeerEndpoint } from '../../../fabric/connection.js';
import {
  approveForMyOrg,
  ccaasPackage,
  commitDefinition,
  commitReadiness,
  committedDefinition,
  installPackage,
  type ChaincodeDefinition,
} from '../../../fabric/lifecycle.js';
import {
  applyChaincodeWorkload,
  ChaincodeServerNotReady,
  chaincodeAddress,
  waitForChaincodeServer,
  chaincodeObjectName,
  chaincodeServiceNames,
  COLLECTIONS_KEY,
  readCollectionsConfig,
} from '../../../k8s/chaincode.js';
import { readServerTls, saveServerTls, serverTlsSecretName } from '../../../k8s/identities.js';
import { caAccess, NOTE_ISSUED, noteIssued, refusingForeign, revokeLeftovers } from '../../services/ca-access.js';
import { serverCertificateProblem } from '../../services/server-tls.js';
import { parseCollections, type CollectionConfig } from '../../../fabric/collections.js';
import { PolicyError } from '../../../fabric/policy-syntax.js';
import type { Kube } from '../../../k8s/client.js';
import { PermanentError } from '../../engine/errors.js';
import { orgPeersAccess } from '../../services/fabric-access.js';
import { channelConfig } from '../../../fabric/channel-config.js';
import { applicationOrgs } from '../../../fabric/config-edits.js';
import { networkNamed } from '../../services/platform.js';
import type { ParamsOf } from '../kind.js';
import { imageProblem } from '../../services/policy.js';
import type { JobContext, JobHandler } from '../../engine/worker.js';

/** How long a deploy waits for its chaincode server's pod to be Ready (an image pull included). */
const SERVER_READY_TIMEOUT_MS = 180_000;

type DeployParams = ParamsOf<typeof kinds.chaincodeDeploy> | ParamsOf<typeof kinds.chaincodeApproveOrg>;

/** What a deploy request acts on: the channel, every org's admin and peers, the package. */
async function deployTarget(ctx: JobContext, params: DeployParams) {
  const { name, version } = params;
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  const channel = network.fabricChannels[0] ?? '';
  if (channel === '') throw new PermanentError(`network ${network.name} lists no fabricChannels`);
  const [owner] = network.orgs;
  if (owner === undefined) throw new PermanentError(`network ${network.name} has no orgs`);
  const kube = ctx.platform.kube();
  // The orgs of the network the channel has: an org not (yet) a member neither installs nor approves.
  const ownerAccess = await ctx.prepare(`Read ${owner.name}'s admin identity and peers`, () => orgPeersAccess(kube, network, owner));
  const members = await ctx.prepare(`Read ${channel}'s member orgs`, async () =>
    applicationOrgs(await channelConfig(ownerAccess.peers[0] as PeerEndpoint, ownerAccess.admin, channel)),
  );
  const orgs = await ctx.prepare("Read the member orgs' admin identities and peers", () =>
    Promise.all(
      network.orgs
        .filter((org) => members.includes(org.mspId))
        .map(async (org) => ({ org, ...(org === owner ? ownerAccess : await orgPeersAccess(kube, network, org)) })),
    ),
  );
  if (orgs[0]?.org !== owner)
    throw new PermanentError(`${owner.name}, whose CA issues the chaincode server's certificate, is not a member of ${channel}`);
  const address = params.address ?? chaincodeAddress({ org: owner.name, name }, network.namespace);
  // Peers verify the chaincode server against the CA that issues the owner org's TLS certificates.
  const first = orgs[0] as (typeof orgs)[number];
  const tlsRootPem = (first.peers[0] as PeerEndpoint).tlsRootPem;
  const pkg = ccaasPackage(`${name}_${version}`, address, { rootCertPem: tlsRootPem });
  const signaturePolicy = params.policy;
  const collections =
    params.collections === undefined
      ? undefined
      : await ctx.prepare(`Read the collections in ${params.collections}`, () =>
          collectionsFrom(kube, network.namespace, params.collections as string),
        );
  return {
    name,
    version,
    network,
    channel,
    owner,
    kube,
    orgs,
    first,
    address,
    tlsRootPem,
    pkg,
    signaturePolicy,
    collections,
  };
}

/** The collections a deploy names by ConfigMap; a missing or unreadable one fails the job at once. */
async function collectionsFrom(kube: Kube, namespace: string, configMap: string): Promise<CollectionConfig[]> {
  const text = await readCollectionsConfig(kube, namespace, configMap);
  if (text === undefined) throw new PermanentError(`ConfigMap ${namespace}/${configMap} with key ${COLLECTIONS_KEY} does not exist`);
  try {
    return parseCollections(text);
  } catch (err) {
    if (err instanceof PolicyError) throw new PermanentError(`ConfigMap ${namespace}/${configMap}: ${err.message}`);
    throw err;
  }
}

/** The definition every org approves and the commit names; all of it must be identical each time. */
const definitionOf = (t: DeployTarget, sequence: number): ChaincodeDefinition => ({
  channel: t.channel,
  name: t.name,
  version: t.version,
  sequence,
  ...(t.signaturePolicy === undefined ? {} : { signaturePolicy: t.signaturePolicy }),
  ...(t.collections === undefined ? {} : { collections: t.collections }),
});

type DeployTarget = Awaited<ReturnType<typeof deployTarget>>;
type OrgAccess = DeployTarget['orgs'][number];

const readinessText = (r: Record<string, boolean>): string =>
  Object.entries(r)
    .map(([m, ok]) => `${m} ${ok ? '✓' : '✗'}`)
    .join(', ');

/** The org's approveformyorg as a step; an approval already given counts as done. */
function approveStep(ctx: JobContext, o: OrgAccess, def: ChaincodeDefinition, packageId: string): Promise<void> {
  return ctx.step({ key: `approve-${o.org.name}`, title: `Approve for ${o.org.name}` }, async (note) => {
    const r = await withGateway(o.peers[0] as PeerEndpoint, o.admin, (g) => approveForMyOrg(g, def, packageId, o.org.mspId));
    await note(`${o.org.mspId}: ${r === 'approved' ? 'approved' : 'had already approved'} sequence ${def.sequence}`);
  });
}

/** The sequence this version gets: the committed one for the same version, else the next. */
async function sequenceFor(ctx: JobContext, t: DeployTarget): Promise<number> {
  return ctx.step({ key: 'read-the-committed-definition', title: 'Read the committed definition' }, async (note) => {
    const current = await withGateway(t.first.peers[0] as PeerEndpoint, t.first.admin, (g) => committedDefinition(g, t.channel, t.name));
    if (current === undefined) {
      await note(`${t.name} is new on ${t.channel}: sequence 1`);
      return 1;
    }
    const next = current.version === t.version ? current.sequence : current.sequence + 1;
    const change = current.version === t.version ? 'same version' : `upgrade to sequence ${next}`;
    await note(`committed: version ${current.version}, sequence ${current.sequence}; ${change}`);
    return next;
  });
}

/**
 * One org's approval of a chaincode deploy request, run when its admin clicks Approve: that
 * org's approveformyorg, then Fabric's commit readiness shown on the approval card.
 */
export const chaincodeApproveForOrg: JobHandler<typeof kinds.chaincodeApproveOrg> = async (ctx, params) => {
  const t = await deployTarget(ctx, params);
  const { org: orgName, approvalId } = params;
  const o = t.orgs.find((x) => x.org.name === orgName);
  if (o === undefined) throw new PermanentError(`${orgName} is not a member of ${t.channel}: it has nothing to approve there`);
  const sequence = await sequenceFor(ctx, t);
  const def = definitionOf(t, sequence);
  await approveStep(ctx, o, def, t.pkg.packageId);
  const readiness = await ctx.step({ key: 'read-commit-readiness', title: 'Read commit readiness' }, async (note) => {
    const r = await withGateway(o.peers[0] as PeerEndpoint, o.admin, (g) => commitReadiness(g, def));
    await note(readinessText(r));
    return r;
  });
  await ctx.approvals.fabricReadiness(approvalId, readiness);
  return {
    summary: `${o.org.mspId} approved ${t.name} ${t.version} (sequence ${sequence})`,
    fields: [{ label: 'Package', value: t.pkg.packageId }],
  };
};

/**
 * The chaincode server's TLS certificate from the owner org's CA, for every name peers may dial it
 * by, kept in a Secret its pod mounts. One still valid for those names is kept; a retry after an
 * interrupted attempt revokes what that attempt was issued and never stored.
 */
async function issueServerTls(ctx: JobContext, t: DeployTarget): Promise<string> {
  const id = chaincodeObjectName({ org: t.owner.name, name: t.name });
  const ref = { network: t.network.name, org: t.owner.name, name: id };
  const secret = serverTlsSecretName(ref);
  const hosts = chaincodeServiceNames({ org: t.owner.name, name: t.name }, t.network.namespace);
  const dialed = t.address.slice(0, t.address.lastIndexOf(':'));
  if (!hosts.includes(dialed)) hosts.push(dialed);
  const usable = async (): Promise<boolean> => {
    const current = await readServerTls(t.kube, t.network.namespace, secret);
    return current !== undefined && serverCertificateProblem(current.certPem, t.tlsRootPem, hosts) === undefined;
  };
  const ISSUE = { key: 'issue-the-chaincode-server-tls-certificate', title: "Issue the chaincode server's TLS certificate" };
  const issuedBefore = await ctx.step(NOTE_ISSUED, async (note) => {
    if (await usable()) {
      await note(`${secret}: its certificate is still good`);
      return [];
    }
    const { ca, registrar } = await caAccess(t.kube, t.network, t.owner);
    return noteIssued(ca, registrar, id, note);
  });
  await ctx.step(ISSUE, async (note) => {
    if (await usable()) {
      await note(`${secret}: already holds a certificate for ${hosts.join(', ')}`);
      return;
    }
    const { ca, registrar } = await caAccess(t.kube, t.network, t.owner);
    const enrollmentSecret = await refusingForeign(() => ca.register(registrar, { id, type: 'client' }));
    const tls = await ca.enroll({ id, secret: enrollmentSecret, profile: 'tls', hosts });
    const problem = serverCertificateProblem(tls.certPem, t.tlsRootPem, hosts);
    if (problem !== undefined)
      throw new PermanentError(`${t.owner.name}'s CA issued ${id} a TLS certificate peers would refuse: ${problem}`);
    await saveServerTls(t.kube, t.network.namespace, ref, { certPem: tls.certPem, keyPem: tls.keyPem, caPem: t.tlsRootPem });
    await note(`${secret}: issued by ${t.owner.name}'s CA for ${hosts.join(', ')}`);
    if (ctx.interruptedAt(ISSUE) !== undefined) {
      const revoked = await revokeLeftovers(ca, registrar, id, issuedBefore, [tls.certPem]);
      if (revoked.length > 0) await note(`revoked ${revoked.join(', ')}, issued to an interrupted attempt and never stored`);
    }
  });
  return secret;
}

/**
 * Deploys a chaincode-as-a-service across every org of the network, each step idempotent: the
 * server's TLS certificate, the workload, the package, install on every peer, each org's approval with its admin, commit.
 */
export const chaincodeDeploy: JobHandler<typeof kinds.chaincodeDeploy> = async (ctx, params) => {
  const t = await deployTarget(ctx, params);
  const { name, version, network, channel, owner, kube, orgs, first, address, pkg } = t;
  const image = params.image ?? `${name}:${version}`;
  const refused = imageProblem(ctx.platform.config, params.image);
  if (refused !== undefined) throw new PermanentError(refused);
  const sequence = await sequenceFor(ctx, t);
  const def = definitionOf(t, sequence);

  const tlsSecret = await issueServerTls(ctx, t);
  await ctx.step({ key: 'run-the-chaincode-server', title: 'Run the chaincode server' }, async (note) => {
    await applyChaincodeWorkload(kube, network.namespace, {
      network: network.name,
      org: owner.name,
      name,
      image,
      packageId: pkg.packageId,
      tlsSecret,
      placement: { nodeSelector: ctx.platform.config.chaincode.nodeSelector, tolerations: ctx.platform.config.chaincode.tolerations },
    });
    await note(`Deployment and Service for ${pkg.packageId}; peers dial ${address}`);
  });
  await ctx.step({ key: 'wait-until-the-chaincode-server-is-ready', title: 'Wait until the chaincode server is Ready' }, async (note) => {
    const waitedMs = await waitForChaincodeServer(
      kube,
      network.namespace,
      { org: owner.name, name },
      {
        timeoutMs: SERVER_READY_TIMEOUT_MS,
        signal: ctx.signal,
      },
    ).catch((err: unknown) => {
      throw err instanceof ChaincodeServerNotReady ? new PermanentError(err.message) : err;
    });
    await note(`Ready after ${Math.round(waitedMs / 100) / 10} s`);
  });
  await ctx.step({ key: 'install-the-package-on-every-peer', title: 'Install the package on every peer' }, async (note) => {
    for (const o of orgs) {
      for (const peer of o.peers) {
        const r = await installPackage(peer, o.admin, pkg.bytes);
        if (r.packageId !== pkg.packageId)
          throw new PermanentError(`${peer.address} computed package id ${r.packageId}, expected ${pkg.packageId}`);
        await note(`${o.org.name} ${peer.address}: ${r.alreadyInstalled ? 'already installed' : 'installed'}`);
      }
    }
  });
  // Fabric approvals are given for the orgs whose admins approved in Slack, and no other: an org's
  // key never signs for a change its admins did not agree to.
  const approving = orgs.filter((o) => params.approvedByOrgs.includes(o.org.name));
  if (approving.length === 0)
    await ctx.step({ key: 'approve-for-the-orgs-that-approved', title: 'Approve for the orgs that approved' }, async (note) =>
      note('none approved in Slack: only approvals already given in Fabric count'),
    );
  for (const o of approving) await approveStep(ctx, o, def, pkg.packageId);
  await ctx.step({ key: 'commit-the-definition', title: 'Commit the definition' }, async (note) => {
    const peer = first.peers[0] as PeerEndpoint;
    await note(`readiness: ${readinessText(await withGateway(peer, first.admin, (g) => commitReadiness(g, def)))}`);
    const r = await withGateway(peer, first.admin, (g) =>
      commitDefinition(
        g,
        def,
        orgs.map((o) => o.org.mspId),
      ),
    );
    await note(r === 'committed' ? `committed sequence ${sequence}` : 'already committed');
  });
  return {
    summary: `${name} ${version} committed on ${channel} at sequence ${sequence}`,
    fields: [
      { label: 'Package', value: pkg.packageId },
      { label: 'Chaincode address', value: address },
      { label: 'Orgs', value: orgs.map((o) => o.org.mspId).join(', ') },
      ...(def.signaturePolicy === undefined ? [] : [{ label: 'Endorsement policy', value: def.signaturePolicy }]),
      ...(def.collections === undefined
        ? []
        : [{ label: 'Private data collections', value: def.collections.map((c) => c.name).join(', ') }]),
    ],
  };
};
