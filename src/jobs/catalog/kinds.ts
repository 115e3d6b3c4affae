import { z } from 'zod';
import { dns1123Label } from '../../config/model.js';
import { jobKind, type JobKind } from './kind.js';
import type { ApprovalRequest, Vote } from '../services/approvals.js';

/**
 * The kinds of job this project ships (see catalog.ts): a worker runs them with the handlers in
 * handlers/index.ts. A new kind is one declaration here and one handler there.
 */

/** Fabric CA's reserved attribute namespace: registering one of these grants CA privileges. */
export const RESERVED_ATTRIBUTE = /^hf\./i;

const identityName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9@._-]{0,62}$/, 'must be an identity name');
const identityType = z.enum(['client', 'admin', 'peer', 'orderer']);
/** Identity types that act for the org as a whole (an admin signs for it, an orderer orders). */
export const PRIVILEGED_IDENTITY_TYPES: ReadonlySet<string> = new Set(['admin', 'orderer']);

const attribute = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be an attribute name')
    .refine((n) => !RESERVED_ATTRIBUTE.test(n), 'hf.* attributes are Fabric CA privileges and cannot be registered through the bot'),
  value: z.string().max(256),
  ecert: z.boolean(),
});

const chaincode = {
  name: z.string().regex(/^(?=.{1,40}$)[a-z0-9]+(?:[-_][a-z0-9]+)*$/, 'must be a chaincode name'),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'must be a chaincode version'),
  image: z
    .string()
    .regex(/^[a-z0-9][a-z0-9./:@_-]{0,254}$/)
    .optional(),
  address: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/)
    .optional(),
  policy: z.string().max(1024).optional(),
  collections: z.string().max(253).optional(),
};

const approvingOrgs = (votes: readonly Vote[]): string[] => votes.filter((v) => v.decision === 'approve').map((v) => v.org);

export const ping = jobKind('ping', z.strictObject({ holdMs: z.number().int().min(0).max(60_000).optional() }));
export const peersScale = jobKind(
  'peers.scale',
  z.strictObject({
    org: dns1123Label,
    replicas: z.number().int().min(1).max(50),
    timeoutSeconds: z.number().int().min(10).max(3600).optional(),
  }),
);
export const podRestart = jobKind('pod.restart', z.strictObject({ pod: z.string().min(1).max(253) }));
export const certEnroll = jobKind('cert.enroll', z.strictObject({ org: dns1123Label, name: identityName, type: identityType }));
export const certRegister = jobKind(
  'cert.register',
  z.strictObject({
    org: dns1123Label,
    name: identityName,
    type: identityType,
    attrs: z.array(attribute).max(32),
    maxEnrollments: z.number().int().min(-1).max(1000),
    affiliation: z
      .string()
      .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/)
      .optional(),
  }),
);
export const certRevoke = jobKind(
  'cert.revoke',
  z.strictObject({ org: dns1123Label, name: identityName, reason: z.string().regex(/^[a-z]{1,32}$/) }),
);
export const certRenew = jobKind('cert.renew', z.strictObject({ org: dns1123Label, name: identityName }));
/** One org's approveformyorg of a deploy request, run when its admin approves on the card. */
export const chaincodeApproveOrg = jobKind(
  'chaincode.approve-org',
  z.strictObject({ ...chaincode, org: dns1123Label, approvalId: z.string().min(1).max(64) }),
);
export const chaincodeDeploy = jobKind(
  'chaincode.deploy',
  z.strictObject({
    ...chaincode,
    /** The orgs whose admins approved in Slack: approveformyorg runs for these and no other. */
    approvedByOrgs: z.array(dns1123Label).default([]),
  }),
  {
    approved: (params, votes) => ({ ...params, approvedByOrgs: approvingOrgs(votes) }),
    // Without a Slack approval, only an admin's own org approves, as that admin asked.
    unapproved: (params, requester) => ({
      ...params,
      approvedByOrgs: requester.role === 'admin' && requester.org !== undefined ? [requester.org] : [],
    }),
    orgApproved: (request, org, userId) => {
      const { approvedByOrgs: _votes, ...definition } = request.params;
      return {
        type: chaincodeApproveOrg.type,
        params: { ...definition, org, approvalId: request.id },
        requester: { userId, org, role: 'admin' },
        channel: request.channel,
        network: request.network,
        targetOrg: org,
        command: `${request.command} — ${org}'s approval`,
      };
    },
  },
);

const channelName = z.string().regex(/^[a-z][a-z0-9.-]{0,248}$/, 'must be a channel name');
const approvalId = z.string().min(1).max(64);

/** The job an approval card's request queues to plan a channel update for the card; a vote's to sign it for the voter's org. */
const channelUpdateHooks = {
  approved: <P>(params: P, votes: readonly Vote[], id: string) => ({ ...params, approvedByOrgs: approvingOrgs(votes), approvalId: id }),
  unapproved: <P>(params: P, requester: { org?: string; role?: string }) => ({
    ...params,
    approvedByOrgs: requester.role === 'admin' && requester.org !== undefined ? [requester.org] : [],
  }),
  requested: (request: ApprovalRequest) => ({
    type: channelPlan.type,
    params: { approvalId: request.id },
    requester: request.requester,
    channel: request.channel,
    network: request.network,
    command: `${request.command} — plan`,
  }),
  orgApproved: (request: ApprovalRequest, org: string, userId: string) => ({
    type: channelSign.type,
    params: { approvalId: request.id, org },
    requester: { userId, org, role: 'admin' },
    channel: request.channel,
    network: request.network,
    targetOrg: org,
    command: `${request.command} — ${org}'s signature`,
  }),
};

/** The params every channel config update carries besides its own. */
const channelUpdateParams = {
  channel: channelName.optional(),
  /** The orgs whose admins approved in Slack: only their admins sign the update. */
  approvedByOrgs: z.array(dns1123Label).default([]),
  /** The approval request whose plan (pinned to a config sequence) and signatures the update uses. */
  approvalId: approvalId.optional(),
};

/** Plans a channel update put up for approval: computed on the channel's current config and shown on the card. */
export const channelPlan = jobKind('channel.plan', z.strictObject({ approvalId }), undefined, { showsOnCard: true });
/** One org's signature of a planned channel update, made when its admin approves on the card. */
export const channelSign = jobKind('channel.sign', z.strictObject({ approvalId, org: dns1123Label }), undefined, { showsOnCard: true });

/** A resource an ACL names (qscc/GetBlockByNumber, peer/Propose, event/Block…) and a policy path. */
export const ACL_RESOURCE = /^[A-Za-z_]{1,32}\/[A-Za-z]{1,64}$/;
export const POLICY_PATH = /^\/Channel(?:\/[A-Za-z0-9_.-]{1,64}){1,4}$/;

/** Sets the policy an ACL resource of a channel points at: a config update signed by the approving orgs' admins. */
export const channelAcl = jobKind(
  'channel.acl',
  z.strictObject({
    ...channelUpdateParams,
    resource: z.string().regex(ACL_RESOURCE, 'must be an ACL resource such as qscc/GetBlockByNumber'),
    policy: z.string().regex(POLICY_PATH, 'must be a policy path such as /Channel/Application/Writers'),
  }),
  channelUpdateHooks,
);

/** host:port of a peer, as anchor peers are given. */
export const PEER_ADDRESS = /^(?=.{1,253}:)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?:\d{1,5}$/;

/** Sets an org's anchor peers on a channel: a config update its own admins sign (the org group's Admins). */
export const channelAnchors = jobKind(
  'channel.anchors',
  z.strictObject({
    ...channelUpdateParams,
    org: dns1123Label,
    peers: z
      .array(z.string().regex(PEER_ADDRESS, 'must be host:port'))
      .min(1)
      .max(16)
      .refine((peers) => peers.every((p) => Number(p.slice(p.lastIndexOf(':') + 1)) <= 65535), 'a port is at most 65535'),
  }),
  channelUpdateHooks,
);

/** Adds an org of the network to a channel (its MSP from its CA), then joins its peers: signed by the members' admins. */
export const channelAddOrg = jobKind('channel.add-org', z.strictObject({ ...channelUpdateParams, org: dns1123Label }), channelUpdateHooks);
/** Removes an org from a channel (never the last): signed by the members' admins. */
export const channelRemoveOrg = jobKind(
  'channel.remove-org',
  z.strictObject({ ...channelUpdateParams, org: dns1123Label }),
  channelUpdateHooks,
);

/** Publishes an org's current CRL from its CA into a channel (its MSP's revocation list): signed by that org's admins. */
export const channelCrl = jobKind('channel.crl', z.strictObject({ ...channelUpdateParams, org: dns1123Label }), channelUpdateHooks);

/** A duration as Fabric's orderer reads it (Go's time.ParseDuration): 2s, 500ms, 1m. */
export const FABRIC_DURATION = /^[1-9][0-9]{0,5}(?:ms|s|m)$/;

/** Sets how the orderers cut a channel's blocks: signed by the ordering orgs' admins (the orderer group's Admins). */
export const channelBatch = jobKind(
  'channel.batch',
  z
    .strictObject({
      ...channelUpdateParams,
      timeout: z.string().regex(FABRIC_DURATION, 'must be a duration such as 2s or 500ms').optional(),
      maxMessages: z.number().int().min(1).max(100_000).optional(),
    })
    .refine((p) => p.timeout !== undefined || p.maxMessages !== undefined, 'give a timeout, a maximum of messages, or both'),
  channelUpdateHooks,
);

/** The capability levels Fabric 2.5 and 3.x know, per group; a level names the Fabric release every node must run. */
export const CAPABILITY_LEVELS = {
  channel: ['V2_0', 'V3_0'],
  orderer: ['V2_0'],
  application: ['V2_0', 'V2_5'],
} as const;

/** Sets a channel's capability level for the channel, its orderer group or its application group. */
export const channelCapability = jobKind(
  'channel.capability',
  z
    .strictObject({
      ...channelUpdateParams,
      group: z.enum(['channel', 'orderer', 'application']),
      level: z.string().regex(/^V\d_\d$/, 'must be a capability level such as V2_5'),
    })
    .refine(
      (p) => (CAPABILITY_LEVELS[p.group] as readonly string[]).includes(p.level),
      `must be a level of its group: ${Object.entries(CAPABILITY_LEVELS)
        .map(([group, levels]) => `${group} ${levels.join(', ')}`)
        .join('; ')}`,
    ),
  channelUpdateHooks,
);

/** What `channel consenter` does with an orderer: into the Raft set, out of it, or into the endpoints clients use. */
export const CONSENTER_ACTIONS = ['add', 'remove', 'advertise'] as const;

/** Changes a channel's Raft set or the orderer endpoints it advertises: signed by the ordering orgs' admins. */
export const channelConsenter = jobKind(
  'channel.consenter',
  z.strictObject({ ...channelUpdateParams, action: z.enum(CONSENTER_ACTIONS), orderer: dns1123Label }),
  channelUpdateHooks,
);

/**
 * Creates a channel for some of the network's orgs: its genesis block made from the network's
 * first channel, joined on each orderer (channel participation) and by the orgs' peers. Every
 * member org and ordering org agrees on the card (no config signature: a channel starts from block 0).
 */
export const channelCreate = jobKind(
  'channel.create',
  z.strictObject({
    name: channelName,
    orgs: z.array(dns1123Label).min(1).max(16),
    approvedByOrgs: z.array(dns1123Label).default([]),
    approvalId: approvalId.optional(),
  }),
  {
    approved: channelUpdateHooks.approved,
    unapproved: channelUpdateHooks.unapproved,
    requested: channelUpdateHooks.requested,
  },
);

/**
 * An org approves the chaincode definition committed on a channel as it is (what an org that joins
 * a channel does before its peers endorse), with the package a member's peers run it from, which
 * its own peers get installed.
 */
export const chaincodeApproveCommitted = jobKind(
  'chaincode.approve-committed',
  z.strictObject({ name: chaincode.name, org: dns1123Label, channel: channelName.optional() }),
);

/** Every kind this project ships. */
export const jobKinds: readonly JobKind[] = [
  ping,
  peersScale,
  podRestart,
  certEnroll,
  certRegister,
  certRevoke,
  certRenew,
  chaincodeDeploy,
  chaincodeApproveOrg,
  channelPlan,
  channelSign,
  channelAcl,
  channelAnchors,
  channelAddOrg,
  channelRemoveOrg,
  channelCrl,
  channelBatch,
  channelCapability,
  channelConsenter,
  channelCreate,
  chaincodeApproveCommitted,
];
