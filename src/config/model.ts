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

const orgSchema = z.strictObject({
  name: dns1123Label,
  mspId: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be an MSP id such as Org1MSP'),
  ca: z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    caName: z.string().min(1).optional(),
    /** Secret (in the network namespace) holding the CA's TLS root certificate under ca.crt. */
    tlsSecret: dns1123Label.optional(),
    /** Secret holding the registrar's enrolled identity (tls.crt/tls.key style: cert.pem, key.pem). */
    registrarSecret: dns1123Label,
  }),
  peers: z.strictObject({
    statefulSet: dns1123Label,
    service: dns1123Label,
    /** Peer endpoints (host:port) the bot dials for Fabric operations: gateway, install. */
    endpoints: z.array(endpoint).default([]),
    /** Secret with the CA root of the peers' TLS certificates under ca.crt; default: ca.tlsSecret. */
    tlsSecret: dns1123Label.optional(),
    /**
     * Where the bot dials a peer pod not listed in endpoints: a gRPC target with {pod}, {service}
     * and {namespace} filled in. The peer's TLS certificate names {pod}.{service}.{namespace}.svc.
     */
    podAddress: z
      .string()
      .regex(/\{pod\}/, 'must contain {pod}')
      .default('{pod}.{service}.{namespace}.svc:7051'),
  }),
  /** Secret holding the org's MSP admin identity (cert.pem, key.pem), which approves chaincode. */
  adminSecret: dns1123Label.optional(),
});

/**
 * An ordering organisation: its admins sign changes to the orderer group of a channel (batch
 * values, consenters), as the orderer group's Admins policy asks. It runs no peers.
 */
const ordererOrgSchema = z.strictObject({
  name: dns1123Label,
  mspId: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be an MSP id such as OrdererMSP'),
  /** Secret holding the org's MSP admin identity (cert.pem, key.pem); default <name>-id-admin. */
  adminSecret: dns1123Label.optional(),
});

const networkSchema = z.strictObject({
  name: dns1123Label,
  namespace: dns1123Label,
  /** Slack channels bound to this network: a command typed there acts on it. */
  channels: z.array(slackChannelId).min(1),
  alertChannel: slackChannelId.optional(),
  fabricChannels: z.array(z.string().regex(/^[a-z][a-z0-9.-]*$/, 'must be a Fabric channel name')).default([]),
  /** Where channel config updates are submitted: the first that takes them (one that is down, or no longer orders the channel, is passed over). */
  orderers: z
    .array(
      z.strictObject({
        name: dns1123Label,
        endpoint,
        /** Secret with ca.crt, the root the orderer's TLS certificate chains to. */
        tlsSecret: dns1123Label.optional(),
        /**
         * host:port of its admin endpoint (channel participation), where `channel create` joins it
         * to a new channel with the ordering org admin's client TLS certificate (tls.crt, tls.key
         * in that admin's identity Secret); its server certificate chains to tlsSecret's root.
         */
        adminEndpoint: endpoint.optional(),
        /**
         * URL of its operations service (http://, or https:// trusted with tlsSecret's root), whose
         * /metrics says which channels it leads the Raft cluster of (Metrics.Provider: prometheus).
         */
        operationsUrl: z.url({ protocol: /^https?$/ }).optional(),
      }),
    )
    .default([]),
  orgs: z.array(orgSchema).default([]),
  ordererOrgs: z.array(ordererOrgSchema).default([]),
});

const memberSchema = z
  .strictObject({
    user: slackUserId.optional(),
    usergroup: slackUsergroupId.optional(),
    network: dns1123Label,
    org: dns1123Label,
    role: z.enum(roles),
  })
  .refine((m) => (m.user === undefined) !== (m.usergroup === undefined), {
    message: 'give exactly one of user or usergroup',
  });

const approvalRule = z.union([z.enum(['ANY', 'ALL', 'MAJORITY']), z.object({ atLeast: z.number().int().min(1) })]);

/**
 * A command's policy as the configuration gives it: each field overrides the command's own
 * default, field by field. `approval: none` removes a built-in approval (it is never dropped by
 * leaving a field out).
 */
const policySchema = z.strictObject({
  role: z.enum(roles).optional(),
  approval: z
    .union([
      z.literal('none'),
      z.strictObject({
        /**
         * `requester`: the org the command acts on (its ORG), or the requester's own org for
         * commands that name none; `all`: every org of the network; `orderers`: its ordering
         * orgs; `signers`: both, which a channel update narrows to those its policy counts; or a
         * list of org names.
         */
        orgs: z
          .union([z.literal('requester'), z.literal('all'), z.literal('orderers'), z.literal('signers'), z.array(dns1123Label).min(1)])
          .optional(),
        rule: approvalRule.optional(),
        approverRole: z.enum(roles).optional(),
        allowSelfApproval: z.boolean().optional(),
        expiresAfterHours: z
          .number()
          .positive()
          .max(24 * 14)
          .optional(),
      }),
    ])
    .optional(),
  /**
   * Members of other orgs may request the command for an org; that org's admins then approve it.
   * Without it, a command that names an org is for that org's own members only.
   */
  allowOtherOrgs: z.boolean().optional(),
});

export const configSchema = z
  .strictObject({
    slack: z
      .strictObject({
        command: z
          .string()
          .regex(/^\/[a-z0-9_-]{1,31}$/, 'must look like /fabric')
          .default('/fabric'),
      })
      .default({ command: '/fabric' }),
    networks: z.array(networkSchema).default([]),
    members: z.array(memberSchema).default([]),
    /** Keyed by command path, e.g. "peers scale", "cert revoke". */
    policies: z.record(z.string(), policySchema).default({}),
    jobs: z
      .strictObject({
        /** Jobs of one network one worker runs at once; every network has its own queue and slots. */
        concurrency: z.number().int().min(1).max(64).default(4),
        attempts: z.number().int().min(1).max(20).default(5),
        backoffMs: z.number().int().min(100).default(2000),
      })
      .default({ concurrency: 4, attempts: 5, backoffMs: 2000 }),
    alerts: z
      .strictObject({
        /** Certificates expiring within this many days are announced in each network's alert channel. */
        certExpiryDays: z.number().int().min(1).max(3650).default(30),
      })
      .default({ certExpiryDays: 30 }),
    chaincode: z
      .strictObject({
        /**
         * Where `chaincode deploy --image` may take images from: registry hosts, optionally with
         * a path (`registry.example.com`, `ghcr.io/acme`). Empty: `--image` is refused.
         */
        allowedRegistries: z
          .array(
            z
              .string()
              .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, 'must be a registry host, optionally with a path, such as ghcr.io/acme'),
          )
          .default([]),
        /** Node labels chaincode pods must run on (the pod's nodeSelector). */
        nodeSelector: z.record(z.string().min(1).max(317), z.string().max(63)).default({}),
        /** Taints chaincode pods tolerate, as Kubernetes writes tolerations. */
        tolerations: z
          .array(
            z.strictObject({
              key: z.string().min(1).max(317).optional(),
              operator: z.enum(['Exists', 'Equal']).optional(),
              value: z.string().max(63).optional(),
              effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
            }),
          )
          .default([]),
      })
      .default({ allowedRegistries: [], nodeSelector: {}, tolerations: [] }),
    audit: z
      .strictObject({
        /** Entries older than this are trimmed from the audit streams. */
        retainDays: z.number().int().min(1).max(3650).default(90),
        /** Refused attempts from outside (unbound channels, non-members) recorded per person and minute at most. */
        refusalsPerMinute: z.number().int().min(1).max(1000).default(10),
      })
      .default({ retainDays: 90, refusalsPerMinute: 10 }),
  })
  // Cross-references are checked even when other fields are wrong, so one run names every mistake.
  .superRefine((raw, ctx) => crossCheck(raw as unknown, ctx), { when: () => true });

type Issues = { addIssue: (issue: { code: 'custom'; path: PropertyKey[]; message: string }) => void };

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);

function crossCheck(raw: unknown, ctx: Issues): void {
  const networks = asArray(field(raw, 'networks'));
  // A channel belongs to one network only, as its command channel or its alert channel (or both
  // for the same network): whoever is in it sees that network's messages and buttons.
  const owner = new Map<string, { network: string; as: string }>();
  const claim = (ch: unknown, network: string, as: string, path: PropertyKey[]): void => {
    if (typeof ch !== 'string') return;
    const other = owner.get(ch);
    if (other !== undefined && other.network !== network) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `channel ${ch} is already network ${other.network}'s ${other.as}; a channel serves one network`,
      });
    } else if (other !== undefined && other.as === as) {
      ctx.addIssue({ code: 'custom', path, message: `channel ${ch} is listed twice` });
    }
    if (other === undefined) owner.set(ch, { network, as });
  };
  networks.forEach((n, i) => {
    const name = String(field(n, 'name'));
    asArray(field(n, 'channels')).forEach((ch, j) => {
      claim(ch, name, 'command channel', ['networks', i, 'channels', j]);
    });
  });
  networks.forEach((n, i) => {
    claim(field(n, 'alertChannel'), String(field(n, 'name')), 'alert channel', ['networks', i, 'alertChannel']);
  });
  const names = new Map<string, number>();
  networks.forEach((n, i) => {
    const name = field(n, 'name');
    if (typeof name !== 'string') return;
    if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['networks', i, 'name'], message: `network ${name} is defined twice` });
    names.set(name, i);
  });
  networks.forEach((n, i) => {
    const orgNames = new Set(asArray(field(n, 'orgs')).map((o) => field(o, 'name')));
    asArray(field(n, 'ordererOrgs')).forEach((o, j) => {
      if (orgNames.has(field(o, 'name')))
        ctx.addIssue({
          code: 'custom',
          path: ['networks', i, 'ordererOrgs', j, 'name'],
          message: `${String(field(o, 'name'))} is already an org of the network`,
        });
    });
  });
  asArray(field(raw, 'members')).forEach((m, i) => {
    const netName = field(m, 'network');
    const orgName = field(m, 'org');
    if (typeof netName !== 'string') return;
    const net = networks.find((n) => field(n, 'name') === netName);
    if (net === undefined) {
      ctx.addIssue({ code: 'custom', path: ['members', i, 'network'], message: `no network named ${netName}` });
    } else if (
      typeof orgName === 'string' &&
      ![...asArray(field(net, 'orgs')), ...asArray(field(net, 'ordererOrgs'))].some((o) => field(o, 'name') === orgName)
    ) {
      ctx.addIssue({ code: 'custom', path: ['members', i, 'org'], message: `network ${netName} has no org named ${orgName}` });
    }
  });
}

export type Config = z.infer<typeof configSchema>;
export type NetworkConfig = Config['networks'][number];
export type OrgConfig = NetworkConfig['orgs'][number];
export type OrdererOrgConfig = NetworkConfig['ordererOrgs'][number];
export type MemberConfig = Config['members'][number];
export type PolicyConfig = Config['policies'][string];
