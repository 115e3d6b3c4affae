import { z } from 'zod';

/** Kubernetes object names (RFC 1123 label): what namespaces, StatefulSets and Services accept. */
export const dns1123Label = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lower-case letters, digits and "-")');

const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD');
const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id such as U0123ABCD');
const slackUsergroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id such as S0123ABCD');
const endpoint = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port');

export const roles = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof roles)[number];
export const roleRank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

const orgSchema = z.object({
  name: dns1123Label,
  mspId: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be an MSP id such as Org1MSP'),
  ca: z.object({
    url: z.url({ protocol: /^https?$/ }),
    caName: z.string().min(1).optional(),
    /** Secret (in the network namespace) holding the CA's TLS root certificate under ca.crt. */
    tlsSecret: dns1123Label.optional(),
    /** Secret holding the registrar's enrolled identity (tls.crt/tls.key style: cert.pem, key.pem). */
    registrarSecret: dns1123Label,
  }),
  peers: z.object({
    statefulSet: dns1123Label,
    service: dns1123Label,
    /** Peer endpoints (host:port) the bot dials for Fabric operations: gateway, install. */
    endpoints: z.array(endpoint).default([]),
    /** Secret with the CA root of the peers' TLS certificates under ca.crt; default: ca.tlsSecret. */
    tlsSecret: dns1123Label.optional(),
  }),
  /** Secret holding the org's MSP admin identity (cert.pem, key.pem), which approves chaincode. */
  adminSecret: dns1123Label.optional(),
});

const networkSchema = z.object({
  name: dns1123Label,
  namespace: dns1123Label,
  /** Slack channels bound to this network: a command typed there acts on it. */
  channels: z.array(slackChannelId).min(1),
  alertChannel: slackChannelId.optional(),
  fabricChannels: z.array(z.string().regex(/^[a-z][a-z0-9.-]*$/, 'must be a Fabric channel name')).default([]),
  orderers: z.array(z.object({ name: dns1123Label, endpoint })).default([]),
  orgs: z.array(orgSchema).default([]),
});

const memberSchema = z
  .object({
    user: slackUserId.optional(),
    usergroup: slackUsergroupId.optional(),
    network: dns1123Label,
    org: dns1123Label,
    role: z.enum(roles),
  })
  .refine((m) => (m.user === undefined) !== (m.usergroup === undefined), {
    message: 'give exactly one of user or usergroup',
  });

const approvalRule = z.union([
  z.enum(['ANY', 'ALL', 'MAJORITY']),
  z.object({ atLeast: z.number().int().min(1) }),
]);

const policySchema = z.object({
  role: z.enum(roles),
  approval: z
    .object({
      /** 'requester' = the requesting member's own organisation; otherwise org names. */
      orgs: z.union([z.literal('requester'), z.literal('all'), z.array(dns1123Label).min(1)]),
      rule: approvalRule.default('ANY'),
      approverRole: z.enum(roles).default('admin'),
      allowSelfApproval: z.boolean().default(false),
      expiresAfterHours: z.number().positive().max(24 * 14).default(24),
    })
    .optional(),
});

export const configSchema = z
  .object({
    slack: z
      .object({
        command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'must look like /fabric').default('/fabric'),
      })
      .default({ command: '/fabric' }),
    networks: z.array(networkSchema).default([]),
    members: z.array(memberSchema).default([]),
    /** Keyed by command path, e.g. "peers scale", "cert revoke". */
    policies: z.record(z.string(), policySchema).default({}),
    jobs: z
      .object({
        concurrency: z.number().int().min(1).max(64).default(4),
        attempts: z.number().int().min(1).max(20).default(5),
        backoffMs: z.number().int().min(100).default(2000),
      })
      .default({ concurrency: 4, attempts: 5, backoffMs: 2000 }),
    alerts: z
      .object({
        /** Certificates expiring within this many days are announced in each network's alert channel. */
        certExpiryDays: z.number().int().min(1).max(3650).default(30),
      })
      .default({ certExpiryDays: 30 }),
  })
  // Cross-references are checked even when other fields are wrong, so one run names every mistake.
  .superRefine((raw, ctx) => crossCheck(raw as unknown, ctx), { when: () => true });

type Issues = { addIssue: (issue: { code: 'custom'; path: PropertyKey[]; message: string }) => void };

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);

function crossCheck(raw: unknown, ctx: Issues): void {
  const networks = asArray(field(raw, 'networks'));
  const boundChannels = new Map<string, string>();
  networks.forEach((n, i) => {
    asArray(field(n, 'channels')).forEach((ch, j) => {
      if (typeof ch !== 'string') return;
      const other = boundChannels.get(ch);
      if (other !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['networks', i, 'channels', j], message: `channel ${ch} is already bound to network ${other}` });
      }
      boundChannels.set(ch, String(field(n, 'name')));
    });
  });
  asArray(field(raw, 'members')).forEach((m, i) => {
    const netName = field(m, 'network');
    const orgName = field(m, 'org');
    if (typeof netName !== 'string') return;
    const net = networks.find((n) => field(n, 'name') === netName);
    if (net === undefined) {
      ctx.addIssue({ code: 'custom', path: ['members', i, 'network'], message: `no network named ${netName}` });
    } else if (typeof orgName === 'string' && !asArray(field(net, 'orgs')).some((o) => field(o, 'name') === orgName)) {
      ctx.addIssue({ code: 'custom', path: ['members', i, 'org'], message: `network ${netName} has no org named ${orgName}` });
    }
  });
}

export type Config = z.infer<typeof configSchema>;
export type NetworkConfig = Config['networks'][number];
export type OrgConfig = NetworkConfig['orgs'][number];
export type MemberConfig = Config['members'][number];
export type PolicyConfig = Config['policies'][string];
