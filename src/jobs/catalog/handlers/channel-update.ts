import * as kinds from '../kinds.js';
import { common } from '@hyperledger/fabric-protos';
import type { NetworkConfig, OrdererOrgConfig, OrgConfig } from '../../../config/model.js';
import {
  broadcast,
  channelConfig,
  configCommitted,
  configUpdateTransaction,
  OrdererRefusal,
  signConfigUpdate,
} from '../../../fabric/channel-config.js';
import { ledgerHeight } from '../../../fabric/channel.js';
import { describeConfigChange } from '../../../fabric/config-diff.js';
import {
  adminsDemand,
  evaluatePolicy,
  mspsIn,
  requiredPolicies,
  signerOfConfigSignature,
  type AdminsDemand,
} from '../../../fabric/config-policy.js';
import { computeConfigUpdate } from '../../../fabric/config-update.js';
import { PermanentError, RequestAgainError } from '../../engine/errors.js';
import type { JobResult, JsonValue } from '../../engine/types.js';
import type { JobContext, JobHandler } from '../../engine/worker.js';
import { approvalsNeeded, type ApprovalRequest, type ChannelPlan, type PlanSignature } from '../../services/approvals.js';
import { managedChannel } from '../../services/created-channels.js';
import { ordererAccess, orgAdmin } from '../../services/fabric-access.js';
import { networkNamed, signingOrgNamed } from '../../services/platform.js';

import { changeOf, orgAccess, type ChannelChange } from './channel-changes.js';
import { creationPlan } from './channel-create.js';

const NEW_CONFIG_TIMEOUT_MS = 60_000;
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/**
 * The orderer's answer when it does not order the channel (down for it, or only following it), or
 * cannot judge the change: a Raft follower knows of no live consenter (only the leader tracks
 * them), so it refuses any change of the consenter set as "0 out of 3 nodes are alive".
 */
const passOver = (refusal: OrdererRefusal): boolean =>
  refusal.status === common.Status.SERVICE_UNAVAILABLE ||
  (refusal.status === common.Status.BAD_REQUEST &&
    /orderer system channel is not defined|\d+ out of \d+ nodes are alive, configuration will result in quorum loss/.test(refusal.message));

/** The network and the channel a change is for: the network's first channel unless it names one. */
async function target(ctx: JobContext, channelParam: string | undefined): Promise<{ network: NetworkConfig; channel: string }> {
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  return { network, channel: await managedChannel(ctx.platform.createdChannels, network, channelParam) };
}

/** The update from `config` to the change made on it, and what it takes: the plan the orgs sign. */
async function planOf(channel: string, config: common.Config, change: ChannelChange): Promise<ChannelPlan> {
  const made = { channel, sequence: config.getSequence(), madeAt: Date.now(), update: '', changes: [], policies: [], signers: [] };
  const refusal = await change.refusal?.(config);
  if (refusal !== undefined) return { ...made, problem: refusal };
  let updated: common.Config;
  try {
    updated = await change.edit(config);
  } catch (err) {
    if (err instanceof PermanentError) return { ...made, problem: err.message };
    throw err;
  }
  const described = describeConfigChange(config, updated);
  if (described.length === 0) return made;
  const warning = change.warning?.(config);
  const changes = warning === undefined ? described : [...described, `Warning: ${warning}`];
  const update = computeConfigUpdate(channel, config, updated);
  const policies = requiredPolicies(config, update).map(({ element, policy }) => ({
    element,
    policy,
    asks: evaluatePolicy(config, policy, []).asks,
  }));
  const signers = [...new Set(policies.flatMap(({ policy }) => mspsIn(config, policy)))].sort();
  const demand = combinedDemand(policies.map(({ policy }) => adminsDemand(config, policy)));
  return { ...made, update: base64(update.serializeBinary()), changes, policies, signers, ...(demand === undefined ? {} : { demand }) };
}

/** Several policies' demands as one, when they ask admins of the same MSPs (the strictest count); else none. */
function combinedDemand(demands: (AdminsDemand | undefined)[]): AdminsDemand | undefined {
  const [first] = demands;
  if (first === undefined || demands.some((d) => d === undefined || d.msps.join() !== first.msps.join())) return undefined;
  return { msps: first.msps, count: Math.max(...demands.map((d) => d?.count ?? 0)) };
}

/**
 * The Slack rule as the plan's policy has it: only the orgs whose admins Fabric counts are asked,
 * and at least as many as Fabric needs (more when the configured rule asks more of them). Left as
 * it was when the policy is not that simple or someone has voted already.
 */
async function slackRuleFromPlan(ctx: JobContext, approval: ApprovalRequest, plan: ChannelPlan, network: NetworkConfig): Promise<string> {
  const { demand } = plan;
  if (plan.problem !== undefined || plan.changes.length === 0) return 'nothing to approve: there is nothing to sign';
  if (demand === undefined) return 'the Slack rule stays as configured (the policy is not a simple count of admins)';
  const mspOf = (name: string): string | undefined => [...network.orgs, ...network.ordererOrgs].find((o) => o.name === name)?.mspId;
  const orgs = approval.policy.orgs.filter((name) => demand.msps.includes(mspOf(name) ?? ''));
  if (orgs.length < demand.count)
    return `the Slack rule stays as configured (only ${orgs.join(', ') || 'no org'} of those Fabric counts may approve)`;
  const needed = Math.min(orgs.length, Math.max(demand.count, approvalsNeeded(approval.policy.rule, orgs.length)));
  if (!(await ctx.approvals.narrow(approval.id, orgs, needed))) return 'the Slack rule stays as it was: someone has voted already';
  return `approvals asked of ${orgs.join(', ')}: ${needed} needed, as Fabric counts ${demand.count} of ${demand.msps.join(', ')}`;
}

/** The plan recorded on the request; when none is (its planning job has not run yet), one made now and recorded. */
async function planFor(
  ctx: JobContext,
  approval: ApprovalRequest,
  change: ChannelChange,
  reader: () => Promise<common.Config>,
  channel: string,
) {
  return approval.plan ?? ctx.approvals.plan(approval.id, await planOf(channel, await reader(), change));
}

async function notePlan(note: (detail: string) => Promise<void>, plan: ChannelPlan): Promise<void> {
  await note(
    `${plan.channel} at config sequence ${plan.sequence}${plan.changes.length === 0 && plan.problem === undefined ? ': nothing to change' : ''}`,
  );
  for (const line of plan.changes) await note(line);
  if (plan.problem !== undefined) await note(plan.problem);
}

/** An org admin's signature of the plan (an application org's or an ordering org's). */
async function signPlan(
  ctx: JobContext,
  network: NetworkConfig,
  org: OrgConfig | OrdererOrgConfig,
  plan: ChannelPlan,
  user: string,
): Promise<PlanSignature> {
  const admin = await ctx.prepare(`Read ${org.name}'s admin identity`, () => orgAdmin(ctx.platform.kube(), network, org));
  const signature = await signConfigUpdate(bytesOf(plan.update), admin);
  return { org: org.name, mspId: org.mspId, user, at: Date.now(), signature: base64(signature.serializeBinary()) };
}

/**
 * Submits a channel config update: the plan made when it was requested (or now, without an
 * approval), pinned to the config sequence it was computed on. If the channel moved on before
 * submission, nothing is submitted and the job says to request it again. The update carries the
 * signatures the approving orgs' admins made when they clicked (an approving org that has none
 * yet signs now; no other org does), and goes to the orderer only if they satisfy Fabric's
 * mod_policy. A retry after the update was applied finds it applied and submits nothing.
 */
async function changeChannel(
  ctx: JobContext,
  params: { approvedByOrgs: string[]; approvalId?: string | undefined },
  change: ChannelChange,
): Promise<JobResult> {
  const { network, channel } = await target(ctx, change.channel);
  const { approvalId } = params;
  // Without an approval there is no recorded plan: one is made below.
  if (approvalId === undefined) change.readAheadForEdit?.();
  // Read at once, each on its own: who reads the channel, the request, and where updates go.
  const [reader, approval, orderers] = await Promise.all([
    orgAccess(ctx, network),
    approvalId === undefined ? undefined : ctx.prepare('Read the approval request', () => requestNamed(ctx, approvalId)),
    ctx.prepare('Read the orderer endpoints', () => ordererAccess(ctx.platform.kube(), network)),
  ]);
  if (approval !== undefined && approval.plan === undefined) change.readAheadForEdit?.();
  const readConfig = (): Promise<common.Config> => channelConfig(reader.peer, reader.admin, channel);

  // A ChannelPlan is plain JSON.
  const plan = (await ctx.step({ key: 'plan-the-update', title: 'Plan the update' }, async (note) => {
    const made =
      approval === undefined
        ? await planOf(channel, await readConfig(), change)
        : await planFor(ctx, approval, change, readConfig, channel);
    await notePlan(note, made);
    return made as unknown as JsonValue;
  })) as unknown as ChannelPlan;
  if (plan.problem !== undefined) throw new PermanentError(plan.problem);

  const current = await ctx.prepare(`Read ${channel}'s config`, readConfig);
  const sequence = current.getSequence();
  if (plan.changes.length === 0 || (sequence > plan.sequence && describeConfigChange(current, await change.edit(current)).length === 0)) {
    return {
      summary: `${change.what} on ${channel}: already so (config sequence ${sequence})`,
      ...(await change.afterwards?.(ctx, channel, reader)),
    };
  }
  if (sequence !== plan.sequence)
    throw new RequestAgainError(
      `${channel} moved from config sequence ${plan.sequence} to ${sequence} since this update was planned, so it was not submitted: request it again to plan it on the current config (Request again below)`,
    );
  // What may have changed since the plan without the config changing (an orderer went down).
  const refusalNow = await ctx.prepare('Check the change can still be made', async () => change.refusal?.(current));
  if (refusalNow !== undefined) throw new PermanentError(`not submitted: ${refusalNow}`);

  const signatures = await ctx.step(
    { key: 'check-the-signatures-against-fabric-s-policy', title: "Check the signatures against Fabric's policy" },
    async (note) => {
      const kept = new Map(
        (approval === undefined ? [] : ((await ctx.approvals.get(approval.id))?.signatures ?? [])).map((s) => [s.org, s]),
      );
      for (const name of params.approvedByOrgs) {
        const org = signingOrgNamed(network, name);
        if (kept.has(name) || !plan.signers.includes(org.mspId)) continue;
        const user = approval?.votes.find((v) => v.org === name)?.user ?? ctx.request.requester.userId;
        const made = await signPlan(ctx, network, org, plan, user);
        kept.set(name, approval === undefined ? made : await ctx.approvals.signature(approval.id, made));
        await note(`signed for ${org.mspId} as its admin`);
      }
      const valid = [...kept.values()].filter((s) => s.signature !== undefined && params.approvedByOrgs.includes(s.org));
      const signers = valid.map((s) => signerOfConfigSignature(common.ConfigSignature.deserializeBinary(bytesOf(s.signature ?? ''))));
      const signed = valid.map((s) => s.mspId);
      for (const { element, policy } of plan.policies) {
        const verdict = evaluatePolicy(current, policy, signers);
        await note(`${element} needs ${policy}: ${verdict.explanation}`);
        if (!verdict.satisfied) {
          const missing = plan.signers.filter((m) => !signed.includes(m));
          throw new PermanentError(
            `not submitted, Fabric would refuse it: ${policy} asks ${verdict.asks}, and only ${signed.join(', ') || 'no org'} signed` +
              `${missing.length === 0 ? '' : ` (${missing.join(', ')} can still sign: request it again and have their admins approve)`}`,
          );
        }
      }
      return valid.map((s) => ({ org: s.org, mspId: s.mspId, signature: s.signature ?? '' }));
    },
  );

  // The peer's height before the update goes out: the new config block is at or past it.
  const fromBlock = await ctx.step({ key: 'sign-and-submit', title: 'Submit the signed update' }, async (note) => {
    const [height, envelope] = await Promise.all([
      ledgerHeight(reader.peer, reader.admin, channel),
      configUpdateTransaction(
        channel,
        bytesOf(plan.update),
        signatures.map((s) => common.ConfigSignature.deserializeBinary(bytesOf(s.signature))),
        reader.admin,
      ),
    ]);
    // The first orderer that takes it. One that is down, does not order the channel (a removed
    // consenter follows it), or cannot judge the change (a follower, for the Raft set) is passed
    // over; a refusal on the merits is final, and any other orderer would refuse it as well.
    const passedOver: string[] = [];
    for (const orderer of orderers) {
      try {
        await broadcast(orderer, envelope);
        await note(`accepted by ${orderer.address}${passedOver.length === 0 ? '' : ` (passed over ${passedOver.join('; ')})`}`);
        return height;
      } catch (err) {
        if (err instanceof OrdererRefusal && !passOver(err)) throw new PermanentError(err.message);
        passedOver.push(`${orderer.address}: ${(err as Error).message}`);
      }
    }
    throw new Error(`no orderer took the update: ${passedOver.join('; ')}`);
  });
  // Read while Fabric commits the update.
  change.readAheadForAfterwards?.(ctx, channel, reader);
  const next = await ctx.step({ key: 'wait-for-the-new-config', title: 'Wait for the new config on the peer' }, async (note) => {
    const seen = await configCommitted(
      reader.peer,
      reader.admin,
      channel,
      { block: fromBlock, sequence: plan.sequence },
      { timeoutMs: NEW_CONFIG_TIMEOUT_MS, signal: ctx.signal },
    );
    await note(`config sequence ${plan.sequence} → ${seen}`);
    return seen;
  });
  const more = await change.afterwards?.(ctx, channel, reader);
  return {
    summary: `${change.what} on ${channel}: config sequence ${plan.sequence} → ${next}`,
    fields: [{ label: 'Signed by', value: signatures.map((s) => s.mspId).join(', ') }, ...(more?.fields ?? [])],
    ...(more?.next === undefined ? {} : { next: more.next }),
  };
}

async function requestNamed(ctx: JobContext, approvalId: string): Promise<ApprovalRequest> {
  const approval = await ctx.approvals.get(approvalId);
  if (approval === undefined) throw new PermanentError(`approval request ${approvalId} is gone`);
  return approval;
}

/** Plans a channel update put up for approval, so that its card shows what the orgs are asked to sign. */
export const channelPlan: JobHandler<typeof kinds.channelPlan> = async (ctx, { approvalId }) => {
  const approval = await ctx.prepare('Read the approval request', () => requestNamed(ctx, approvalId));
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  // A new channel has no config to change: its plan is what it will be, and who joins it.
  const creating = approval.jobType === kinds.channelCreate.type;
  const change = creating ? undefined : await changeOf(ctx, approval.jobType, approval.params);
  // The Slack rule is narrowed before the plan shows on the card: people vote once they see it.
  const planned = await ctx.step({ key: 'plan-the-update', title: 'Plan the update' }, async (note) => {
    let made = approval.plan;
    if (made === undefined && change === undefined) made = await creationPlan(ctx, approval);
    if (made === undefined && change !== undefined) {
      change.readAheadForEdit?.();
      const { channel } = await target(ctx, change.channel);
      const reader = await orgAccess(ctx, network);
      made = await planOf(channel, await channelConfig(reader.peer, reader.admin, channel), change);
    }
    await notePlan(note, made as ChannelPlan);
    return made as unknown as JsonValue;
  });
  await ctx.step({ key: 'ask-the-orgs-fabric-counts', title: 'Ask the orgs Fabric counts' }, async (note) => {
    await note(await slackRuleFromPlan(ctx, approval, planned as unknown as ChannelPlan, network));
  });
  const plan = await ctx.step(
    { key: 'show-the-plan', title: 'Show the plan on the card' },
    async () => (await ctx.approvals.plan(approvalId, planned as unknown as ChannelPlan)) as unknown as JsonValue,
  );
  const { channel, sequence, changes, policies } = plan as unknown as ChannelPlan;
  return {
    summary: `${change?.what ?? 'create'} on ${channel}, planned on config sequence ${sequence}: ${changes.length} change(s)${policies.map((p) => `; ${p.policy} asks ${p.asks}`).join('')}`,
  };
};

/** One org's signature of a planned update, made as its admin approves; refused, with the reason, when Fabric would not count it. */
export const channelSign: JobHandler<typeof kinds.channelSign> = async (ctx, { approvalId, org: orgName }) => {
  const approval = await ctx.prepare('Read the approval request', () => requestNamed(ctx, approvalId));
  const change = await changeOf(ctx, approval.jobType, approval.params);
  const { network, channel } = await target(ctx, change.channel);
  const org = signingOrgNamed(network, orgName);
  const signature = await ctx.step({ key: 'sign-the-plan', title: `Sign the plan as ${org.mspId}'s admin` }, async (note) => {
    const kept = approval.signatures.find((s) => s.org === org.name);
    if (kept !== undefined) return kept as unknown as JsonValue;
    const plan = await planFor(
      ctx,
      approval,
      change,
      async () => {
        const reader = await orgAccess(ctx, network);
        return channelConfig(reader.peer, reader.admin, channel);
      },
      channel,
    );
    if (plan.problem !== undefined || plan.changes.length === 0) return undefined;
    if (!plan.signers.includes(org.mspId)) {
      const refused = `${org.mspId}'s admins are not among those ${plan.policies.map((p) => p.policy).join(', ')} count (${plan.signers.join(', ')})`;
      await ctx.approvals.signature(approvalId, {
        org: org.name,
        mspId: org.mspId,
        user: ctx.request.requester.userId,
        at: Date.now(),
        refused,
      });
      throw new PermanentError(`${org.name}'s signature would not count: ${refused}`);
    }
    const made = await ctx.approvals.signature(approvalId, await signPlan(ctx, network, org, plan, ctx.request.requester.userId));
    await note(`signed config sequence ${plan.sequence}'s update`);
    return made as unknown as JsonValue;
  });
  if (signature === undefined) return { summary: `${change.what} on ${channel}: nothing to sign` };
  return { summary: `${change.what} on ${channel}: signed for ${(signature as unknown as PlanSignature).mspId}` };
};

/** Every channel update command: the change its kind makes (channel-changes.ts), planned, signed and submitted the same way. */
export const channelUpdate = async (
  ctx: JobContext,
  params: { approvedByOrgs: string[]; approvalId?: string | undefined },
): Promise<JobResult> => changeChannel(ctx, params, await changeOf(ctx, ctx.request.type, params));
