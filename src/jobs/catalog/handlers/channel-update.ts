import type * as kinds from '../kinds.js';
import type { common } from '@hyperledger/fabric-protos';
import { broadcast, channelConfig, configUpdateTransaction, OrdererRefusal, signConfigUpdate } from '../../../fabric/channel-config.js';
import { describeConfigChange } from '../../../fabric/config-diff.js';
import { aclOf, withAcl } from '../../../fabric/config-edits.js';
import { evaluatePolicy, policyExists, requiredPolicies, signerOf } from '../../../fabric/config-policy.js';
import { computeConfigUpdate } from '../../../fabric/config-update.js';
import type { PeerEndpoint } from '../../../fabric/connection.js';
import { pollUntil } from '../../../retry.js';
import { PermanentError } from '../../engine/errors.js';
import type { JobResult } from '../../engine/types.js';
import type { JobContext, JobHandler } from '../../engine/worker.js';
import { ordererAccess, orgPeersAccess } from '../../services/fabric-access.js';
import { networkNamed } from '../../services/platform.js';

/** A change to a channel's configuration, as a job makes it. */
interface ChannelChange {
  channel?: string | undefined;
  approvedByOrgs: string[];
  /** The change in words, for the summary. */
  what: string;
  edit(config: common.Config): common.Config;
}

const NEW_CONFIG_TIMEOUT_MS = 60_000;

/**
 * Plans, signs and submits a channel config update. The plan is pinned to the config sequence
 * the job first read: if the channel moved on before the update was submitted, the job stops and
 * says so. Each org whose admins approved in Slack signs with its admin identity (no other org
 * does); the update goes to the orderer only when those signatures satisfy Fabric's mod_policy.
 * A retry after the update was applied finds it applied and submits nothing.
 */
async function changeChannel(ctx: JobContext, change: ChannelChange): Promise<JobResult> {
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  const channel = change.channel ?? network.fabricChannels[0];
  if (channel === undefined) throw new PermanentError(`network ${network.name} lists no fabricChannels`);
  if (!network.fabricChannels.includes(channel))
    throw new PermanentError(`${channel} is not one of network ${network.name}'s channels (${network.fabricChannels.join(', ')})`);
  const kube = ctx.platform.kube();
  const orgs = await ctx.prepare("Read the orgs' admin identities and peers", () =>
    Promise.all(network.orgs.map(async (org) => ({ org, ...(await orgPeersAccess(kube, network, org)) }))),
  );
  const [first] = orgs;
  if (first === undefined) throw new PermanentError(`network ${network.name} has no orgs`);
  const peer = first.peers[0] as PeerEndpoint;
  const readConfig = (): Promise<common.Config> => channelConfig(peer, first.admin, channel);

  const planned = await ctx.step({ key: 'plan-the-update', title: 'Plan the update' }, async (note) => {
    const config = await readConfig();
    const lines = describeConfigChange(config, change.edit(config));
    await note(`${channel} at config sequence ${config.getSequence()}${lines.length === 0 ? ': nothing to change' : ''}`);
    for (const line of lines) await note(line);
    return { sequence: config.getSequence(), changes: lines.length };
  });
  const current = await ctx.prepare(`Read ${channel}'s config`, readConfig);
  const updated = change.edit(current);
  const applied = describeConfigChange(current, updated).length === 0;
  if (planned.changes === 0 || (applied && current.getSequence() > planned.sequence))
    return { summary: `${change.what} on ${channel}: already so (config sequence ${current.getSequence()})` };
  if (current.getSequence() !== planned.sequence)
    throw new PermanentError(
      `${channel} moved from config sequence ${planned.sequence} to ${current.getSequence()} since this update was planned: request it again`,
    );

  const update = computeConfigUpdate(channel, current, updated);
  const signing = orgs.filter((o) => change.approvedByOrgs.includes(o.org.name));
  await ctx.step(
    { key: 'check-the-signatures-against-fabric-s-policy', title: "Check the signatures against Fabric's policy" },
    async (note) => {
      const signers = signing.map((o) => signerOf(o.admin.mspId, o.admin.certPem));
      for (const { element, policy } of requiredPolicies(current, update)) {
        const verdict = evaluatePolicy(current, policy, signers);
        await note(`${element} needs ${policy}: ${verdict.explanation}`);
        if (!verdict.satisfied)
          throw new PermanentError(
            `Fabric would refuse: ${policy} is not satisfied by the admins of ${signing.map((o) => o.org.name).join(', ') || 'no org'} (${verdict.explanation})`,
          );
      }
    },
  );
  const orderer = await ctx.prepare('Read the orderer endpoint', () => ordererAccess(kube, network));
  await ctx.step({ key: 'sign-and-submit', title: 'Sign for each approving org and submit' }, async (note) => {
    const bytes = update.serializeBinary();
    const signatures = [];
    for (const o of signing) {
      signatures.push(await signConfigUpdate(bytes, o.admin));
      await note(`signed by ${o.org.mspId}'s admin`);
    }
    const submitter = signing[0]?.admin ?? first.admin;
    try {
      await broadcast(orderer, await configUpdateTransaction(channel, bytes, signatures, submitter));
    } catch (err) {
      if (err instanceof OrdererRefusal) throw new PermanentError(err.message);
      throw err;
    }
    await note(`accepted by ${orderer.address}`);
  });
  const sequence = await ctx.step({ key: 'wait-for-the-new-config', title: 'Wait for the new config on the peer' }, async (note) => {
    const next = await pollUntil(
      async () => {
        const c = await readConfig();
        return c.getSequence() > planned.sequence ? c.getSequence() : undefined;
      },
      {
        everyMs: 250,
        withinMs: NEW_CONFIG_TIMEOUT_MS,
        signal: ctx.signal,
        timedOut: () => new Error(`${peer.address} still has config sequence ${planned.sequence}`),
      },
    );
    await note(`config sequence ${planned.sequence} → ${next}`);
    return next;
  });
  return {
    summary: `${change.what} on ${channel}: config sequence ${planned.sequence} → ${sequence}`,
    fields: [{ label: 'Signed by', value: signing.map((o) => o.org.mspId).join(', ') }],
  };
}

/** `/fabric channel acl RESOURCE POLICY`. */
export const channelAcl: JobHandler<typeof kinds.channelAcl> = (ctx, params) =>
  changeChannel(ctx, {
    channel: params.channel,
    approvedByOrgs: params.approvedByOrgs,
    what: `ACL ${params.resource} → ${params.policy}`,
    edit: (config) => {
      if (aclOf(config, params.resource) === params.policy) return config;
      if (!policyExists(config, params.policy)) throw new PermanentError(`${params.policy} is not a policy of the channel`);
      return withAcl(config, params.resource, params.policy);
    },
  });
