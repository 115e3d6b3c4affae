import { z } from 'zod';
import { dns1123Label } from '../config/model.js';

/**
 * The parameters of every job type, as zod schemas: the one place that says what a job of each
 * type carries. The bot submits params of these types (checked by the compiler); a worker
 * validates a job's params against its schema before acting, so a job written into Redis by hand
 * or queued by an older release fails at once, naming the bad field, instead of acting on it.
 * Pure data: no handler code here, so the Slack edge imports it without the workers' clients.
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
  image: z.string().regex(/^[a-z0-9][a-z0-9./:@_-]{0,254}$/).optional(),
  address: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/).optional(),
  policy: z.string().max(1024).optional(),
  collections: z.string().max(253).optional(),
};

export const jobParams = {
  ping: z.strictObject({ holdMs: z.number().int().min(0).max(60_000).optional() }),
  'peers.scale': z.strictObject({ org: dns1123Label, replicas: z.number().int().min(1).max(50), timeoutSeconds: z.number().int().min(10).max(3600).optional() }),
  'pod.restart': z.strictObject({ pod: z.string().min(1).max(253) }),
  'cert.enroll': z.strictObject({ org: dns1123Label, name: identityName, type: identityType }),
  'cert.register': z.strictObject({
    org: dns1123Label,
    name: identityName,
    type: identityType,
    attrs: z.array(attribute).max(32),
    maxEnrollments: z.number().int().min(-1).max(1000),
    affiliation: z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/).optional(),
  }),
  'cert.revoke': z.strictObject({ org: dns1123Label, name: identityName, reason: z.string().regex(/^[a-z]{1,32}$/) }),
  'cert.renew': z.strictObject({ org: dns1123Label, name: identityName }),
  'chaincode.deploy': z.strictObject({
    ...chaincode,
    /** The orgs whose admins approved in Slack: approveformyorg runs for these and no other. */
    approvedByOrgs: z.array(dns1123Label).default([]),
  }),
  'chaincode.approve-org': z.strictObject({ ...chaincode, org: dns1123Label, approvalId: z.string().min(1).max(64) }),
} as const;

/** The envelope every job carries besides its params: who asked, where, for which network. */
export const jobEnvelope = z.object({
  type: z.string(),
  params: z.record(z.string(), z.unknown()),
  requester: z.object({ userId: z.string().min(1), org: z.string().optional(), role: z.string().optional() }),
  channel: z.string().min(1),
  network: dns1123Label,
  targetOrg: dns1123Label.optional(),
  command: z.string(),
  requestedAt: z.number(),
});

export type JobType = keyof typeof jobParams;
/** The params as a handler receives them (defaults applied). */
export type JobParams<T extends JobType> = z.output<(typeof jobParams)[T]>;
/** The params as a job is submitted with them. */
export type JobInput<T extends JobType> = z.input<(typeof jobParams)[T]>;

export const jobTypes = Object.keys(jobParams) as JobType[];

export function isJobType(name: string): name is JobType {
  return Object.hasOwn(jobParams, name);
}

/** Why a job's data cannot be acted on, naming each bad field; undefined when it can. */
export function envelopeProblem(data: unknown): string | undefined {
  const result = jobEnvelope.safeParse(data);
  return result.success ? undefined : result.error.issues.map((i) => `${i.path.map(String).join('.') || '(all)'}: ${i.message}`).join('; ');
}

/** The params of a job as a worker takes them up; a message naming each bad field otherwise. */
export function parseJobParams<T extends JobType>(type: T, params: unknown): { ok: true; params: JobParams<T> } | { ok: false; problem: string } {
  const result = jobParams[type].safeParse(params);
  if (result.success) return { ok: true, params: result.data as JobParams<T> };
  const problem = result.error.issues
    .map((i) => (i.code === 'unrecognized_keys' ? `unexpected ${i.keys.map((k) => `params.${k}`).join(', ')}` : `params.${i.path.map(String).join('.') || '(all)'}: ${i.message}`))
    .join('; ');
  return { ok: false, problem };
}
