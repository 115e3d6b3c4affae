import type * as kinds from '../kinds.js';
import { withGateway } from '../../../fabric/connection.js';
import { approveCommitted, committedDefinition, installedPackageBytes, installPackage, packageInUse } from '../../../fabric/lifecycle.js';
import { PermanentError } from '../../engine/errors.js';
import type { JobHandler } from '../../engine/worker.js';
import { managedChannel } from '../../services/created-channels.js';
import { orgPeersAccess } from '../../services/fabric-access.js';
import { networkNamed, orgNamed } from '../../services/platform.js';

/**
 * The org approves the committed definition of a chaincode as it is, running the package a
 * member org's peers run it from: that package is installed on the org's peers first, so they
 * endorse it once the approval is in.
 */
export const chaincodeApproveCommitted: JobHandler<typeof kinds.chaincodeApproveCommitted> = async (ctx, params) => {
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  const channel = await managedChannel(ctx.platform.createdChannels, network, params.channel);
  const org = orgNamed(network, params.org);
  const mine = await ctx.prepare(`Read ${org.name}'s admin identity and peers`, () => orgPeersAccess(ctx.platform.kube(), network, org));
  const [own] = mine.peers;
  if (own === undefined) throw new PermanentError(`org ${org.name} lists no peers`);
  const committed = await ctx.prepare(`Read ${params.name}'s committed definition`, () =>
    withGateway(own, mine.admin, (g) => committedDefinition(g, channel, params.name)),
  );
  if (committed === undefined) throw new PermanentError(`${params.name} is not committed on ${channel}`);
  const at = { channel, name: params.name, version: committed.version };

  const packageId = await ctx.step({ key: 'install-the-package', title: `Install the package on ${org.name}'s peers` }, async (note) => {
    for (const other of network.orgs.filter((o) => o.name !== org.name)) {
      const access = await orgPeersAccess(ctx.platform.kube(), network, other).catch(() => undefined);
      const source = access?.peers[0];
      if (access === undefined || source === undefined) continue;
      const id = await packageInUse(source, access.admin, at).catch(() => undefined);
      if (id === undefined) continue;
      const bytes = await installedPackageBytes(source, access.admin, id);
      for (const peer of mine.peers) {
        const r = await installPackage(peer, mine.admin, bytes);
        await note(`${peer.address}: ${r.alreadyInstalled ? 'had' : 'installed'} ${id} (from ${other.name}'s peer)`);
      }
      return id;
    }
    throw new PermanentError(`no other org's peer runs ${params.name} ${committed.version} on ${channel}: nothing to install`);
  });
  const approval = await ctx.step(
    { key: 'approve-the-definition', title: `Approve the committed definition as ${org.mspId}` },
    async (note) => {
      const r = await withGateway(own, mine.admin, (g) => approveCommitted(g, channel, params.name, packageId, org.mspId));
      await note(`${r.outcome === 'approved' ? 'approved' : 'had approved'} ${params.name} ${r.version}, sequence ${r.sequence}`);
      return r.outcome;
    },
  );
  return {
    summary: `${org.mspId} ${approval === 'approved' ? 'approved' : 'had approved'} ${params.name} ${committed.version} (sequence ${committed.sequence}) on ${channel}: its peers endorse it`,
    fields: [{ label: 'Package', value: packageId }],
  };
};
