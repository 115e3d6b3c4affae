import { orgName } from './arg-types.js';
import * as kinds from '../../jobs/catalog/kinds.js';
import { PRIVILEGED_IDENTITY_TYPES, RESERVED_ATTRIBUTE } from '../../jobs/catalog/kinds.js';
import type { PolicyFloor } from '../../jobs/services/policy.js';
import type { ParsedArgs } from '../grammar.js';
import { renderUsageError } from '../render/help.js';
import { escapeMrkdwn, linesToSections, section } from '../render/text.js';
import { ephemeral, orgArgument, submitted, type CommandSpec } from './types.js';

const org = { name: 'ORG', type: orgName } as const;
const identity = {
  name: 'NAME',
  type: { kind: 'string', pattern: /^[A-Za-z0-9][A-Za-z0-9@._-]{0,62}$/, hint: 'an identity name' },
} as const;
const ATTRIBUTE = '[A-Za-z0-9_.-]{1,64}=[^,=:]{0,256}(?::ecert)?';
const attrs = {
  kind: 'string',
  pattern: new RegExp(`^${ATTRIBUTE}(?:,${ATTRIBUTE}){0,31}$`),
  hint: 'name=value pairs, comma-separated, each optionally ending in :ecert',
} as const;
const REASONS = [
  'unspecified',
  'keycompromise',
  'cacompromise',
  'affiliationchanged',
  'superseded',
  'cessationofoperation',
  'certificatehold',
] as const;
const IDENTITY_TYPES = ['client', 'admin', 'peer', 'orderer'] as const;
type IdentityType = (typeof IDENTITY_TYPES)[number];
const identityType = (args: ParsedArgs): IdentityType => (args.optionalString('type') ?? 'client') as IdentityType;
const targetOrg = orgArgument('ORG');

/** An identity that signs for the org (admin) or orders its transactions (orderer) needs its admins. */
function privilegedType(args: ParsedArgs): PolicyFloor | undefined {
  const type = identityType(args);
  if (!PRIVILEGED_IDENTITY_TYPES.has(type)) return undefined;
  return {
    role: 'admin',
    approval: { orgs: 'requester', rule: 'ANY', approverRole: 'admin' },
    because: `for an ${type} identity, with the org's approval`,
  };
}

/** `name=value[:ecert]` pairs, comma-separated, as the grammar accepted them. */
export function parseAttributes(text: string): { name: string; value: string; ecert: boolean }[] {
  if (text.trim() === '') return [];
  return text.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    const ecert = pair.endsWith(':ecert');
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1, ecert ? -':ecert'.length : undefined), ecert };
  });
}

export const certEnroll: CommandSpec = {
  path: ['cert', 'enroll'],
  summary: 'Register and enroll an identity at the org’s CA; the key and certificate go to a Kubernetes Secret',
  args: [org, identity],
  flags: [
    {
      name: 'type',
      value: { placeholder: 'TYPE', type: { kind: 'enum', values: IDENTITY_TYPES } },
      help: "identity type (default client; admin and orderer need the org's admins)",
    },
  ],
  details:
    "Admin and orderer identities need the admin role and the org's approval. " +
    'The key and certificate go to the Secret <org>-id-<name>; an identity the bot did not register is left alone.',
  access: 'operator',
  target: targetOrg,
  floor: privilegedType,
  async run(ctx, args) {
    const params = { org: args.string('ORG'), name: args.string('NAME'), type: identityType(args) };
    return submitted(await ctx.submit(kinds.certEnroll, params), `enroll ${params.name} in ${params.org}`);
  },
};

export const certRegister: CommandSpec = {
  path: ['cert', 'register'],
  summary: 'Register an identity at the org’s CA without enrolling it; its enrollment secret goes to a Kubernetes Secret',
  args: [org, identity],
  flags: [
    {
      name: 'type',
      value: { placeholder: 'TYPE', type: { kind: 'enum', values: IDENTITY_TYPES } },
      help: "identity type (default client; admin and orderer need the org's admins)",
    },
    {
      name: 'attrs',
      value: { placeholder: 'NAME=VALUE[:ecert],…', type: attrs },
      help: 'attributes to register (not hf.*: those are CA privileges)',
    },
    {
      name: 'max-enrollments',
      value: { placeholder: 'N', type: { kind: 'int', min: 1, max: 1000 } },
      help: 'how often it may be enrolled (default unlimited)',
    },
    {
      name: 'affiliation',
      value: {
        placeholder: 'AFFILIATION',
        type: { kind: 'string', pattern: /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, hint: 'an affiliation such as org1.department1' },
      },
      help: 'the affiliation (default the registrar’s)',
    },
  ],
  details:
    "Admin and orderer identities need the admin role and the org's approval; hf.* attributes (Fabric CA privileges) are refused. " +
    'The enrollment secret goes only to the Secret <org>-enroll-<name>.',
  access: 'operator',
  target: targetOrg,
  floor: privilegedType,
  async run(ctx, args) {
    const attributes = parseAttributes(args.optionalString('attrs') ?? '');
    const reserved = attributes.filter((a) => RESERVED_ATTRIBUTE.test(a.name));
    if (reserved.length > 0) {
      const names = reserved.map((a) => a.name).join(', ');
      const isAPrivilege = reserved.length === 1 ? 'is a Fabric CA privilege' : 'are Fabric CA privileges';
      return ephemeral(
        renderUsageError(`--attrs: ${names} ${isAPrivilege} (hf.*), which the bot does not grant; nothing was registered`, [
          `${ctx.services.commandName} cert register ORG NAME --attrs department=ops,level=2:ecert`,
        ]),
      );
    }
    const params = {
      org: args.string('ORG'),
      name: args.string('NAME'),
      type: identityType(args),
      attrs: attributes,
      maxEnrollments: args.optionalInt('max-enrollments') ?? -1,
      ...(args.optionalString('affiliation') === undefined ? {} : { affiliation: args.optionalString('affiliation') as string }),
    };
    return submitted(await ctx.submit(kinds.certRegister, params), `register ${params.name} in ${params.org}`);
  },
};

export const certShow: CommandSpec = {
  path: ['cert', 'show'],
  summary: 'One identity: as the org’s CA registered it, and the certificate stored for it',
  args: [org, identity],
  access: 'viewer',
  target: targetOrg,
  async run(ctx, args) {
    const d = await ctx.services.queries.ask('identity-details', ctx.network?.name ?? '', {
      org: args.string('ORG'),
      name: args.string('NAME'),
    });
    const who = `\`${escapeMrkdwn(d.org)}\` *${escapeMrkdwn(d.name)}*`;
    if (d.registered === undefined && d.stored === undefined)
      return ephemeral({
        text: `${d.org} has no identity ${d.name}.`,
        blocks: [section(`${who}: the CA has no such identity and nothing is stored for it.`)],
      });
    const lines: string[] = [];
    if (d.registered === undefined) lines.push(':warning: The CA has no such identity (removed?), but a certificate is stored.');
    else {
      const r = d.registered;
      const affiliation = r.affiliation === '' ? '' : `, affiliation ${escapeMrkdwn(r.affiliation)}`;
      const maxEnrollments = r.maxEnrollments < 0 ? 'unlimited' : r.maxEnrollments;
      const outside = r.byBot ? '' : '; registered outside fabric-chatops (the bot leaves it as it is)';
      lines.push(`*Registered* as ${escapeMrkdwn(r.type)}${affiliation}, max enrollments ${maxEnrollments}${outside}`);
      const shown = r.attrs;
      const attribute = (a: (typeof shown)[number]): string =>
        `\`${escapeMrkdwn(a.name)}=${escapeMrkdwn(a.value)}\`${a.ecert === true ? ' (in cert)' : ''}`;
      if (shown.length > 0) lines.push(`Attributes: ${shown.map(attribute).join(', ')}`);
    }
    if (d.stored !== undefined) {
      const c = d.stored;
      lines.push(
        `*Certificate* in Secret \`${escapeMrkdwn(c.secret)}\`${c.hasTls ? ' (with a TLS certificate)' : ''}`,
        `Subject: ${escapeMrkdwn(c.subject)}`,
        `Issuer: ${escapeMrkdwn(c.issuer)}`,
        `Serial: \`${c.serial}\``,
        `Valid ${c.validFrom.slice(0, 10)} → ${c.validTo.slice(0, 10)}`,
      );
      if (c.subjectAltNames !== undefined) lines.push(`SANs: ${escapeMrkdwn(c.subjectAltNames)}`);
    } else if (d.registrationSecret !== undefined)
      lines.push(`Not enrolled yet; its enrollment secret is in Secret \`${escapeMrkdwn(d.registrationSecret)}\`.`);
    else lines.push('No certificate stored for it in the cluster.');
    return ephemeral({ text: `${d.org}/${d.name}`, blocks: [section(who), ...linesToSections(lines, 10)] });
  },
};

export const certRevoke: CommandSpec = {
  path: ['cert', 'revoke'],
  summary: 'Revoke every certificate of an identity at the org’s CA',
  args: [org, identity],
  flags: [{ name: 'reason', value: { placeholder: 'REASON', type: { kind: 'enum', values: REASONS } }, help: 'why (default unspecified)' }],
  access: 'operator',
  approval: { orgs: 'requester', rule: 'ANY', approverRole: 'admin' },
  target: targetOrg,
  async run(ctx, args) {
    const params = { org: args.string('ORG'), name: args.string('NAME'), reason: args.optionalString('reason') ?? 'unspecified' };
    return submitted(await ctx.submit(kinds.certRevoke, params), `revoke ${params.name} in ${params.org}`);
  },
};

export const certList: CommandSpec = {
  path: ['cert', 'list'],
  summary: 'Identities stored for the network, with their certificates’ expiry (soonest first)',
  access: 'viewer',
  async run(ctx) {
    const network = ctx.network;
    if (network === undefined) return ephemeral({ text: 'No network here.' });
    const rows = (await ctx.services.queries.ask('identity-certificates', network.name, {})).map((c) => {
      const who = `• \`${escapeMrkdwn(c.org)}\` ${escapeMrkdwn(c.name)}`;
      if (c.expiresAt === undefined) return `${who} — :warning: the certificate in Secret \`${escapeMrkdwn(c.secret)}\` cannot be read`;
      return `${who} — expires ${new Date(c.expiresAt).toISOString().slice(0, 10)}, serial ${(c.serial ?? '').slice(0, 16)}…`;
    });
    if (rows.length === 0)
      return ephemeral({
        text: `No identities stored for ${network.name} yet.`,
        blocks: [
          section(`No identities stored for *${escapeMrkdwn(network.name)}* yet. \`${ctx.services.commandName} cert enroll\` makes one.`),
        ],
      });
    return ephemeral({
      text: `${rows.length} identities in ${network.name}`,
      blocks: [section(`*${rows.length} identities* in \`${escapeMrkdwn(network.namespace)}\``), ...linesToSections(rows, 40)],
    });
  },
};

export const certRenew: CommandSpec = {
  path: ['cert', 'renew'],
  summary: 'Renew an identity’s certificate (new key, same identity) and replace it in its Secret',
  args: [org, identity],
  access: 'operator',
  target: targetOrg,
  async run(ctx, args) {
    const params = { org: args.string('ORG'), name: args.string('NAME') };
    return submitted(await ctx.submit(kinds.certRenew, params), `renew ${params.name} in ${params.org}`);
  },
};

export const certExpiring: CommandSpec = {
  path: ['cert', 'expiring'],
  summary: 'Identities whose certificate expires within N days (default 30), soonest first',
  flags: [{ name: 'days', value: { placeholder: 'N', type: { kind: 'int', min: 1, max: 3650 } }, help: 'the window in days (default 30)' }],
  access: 'viewer',
  async run(ctx, args) {
    const days = args.optionalInt('days') ?? 30;
    const horizon = Date.now() + days * 86_400_000;
    const list = (await ctx.services.queries.ask('identity-certificates', ctx.network?.name ?? '', {})).filter(
      (e) => e.expiresAt === undefined || e.expiresAt <= horizon,
    );
    if (list.length === 0) return ephemeral({ text: `No certificate expires within ${days} days.` });
    const rows = list.map((e) =>
      e.expiresAt === undefined
        ? `• :warning: \`${escapeMrkdwn(e.org)}\` ${escapeMrkdwn(e.name)} — the certificate in \`${escapeMrkdwn(e.secret)}\` cannot be read`
        : `• \`${escapeMrkdwn(e.org)}\` ${escapeMrkdwn(e.name)} — ${(e.daysLeft ?? 0) < 0 ? 'expired' : `expires in ${e.daysLeft} days`} ` +
          `(${new Date(e.expiresAt).toISOString().slice(0, 10)})`,
    );
    return ephemeral({
      text: `${list.length} certificates expire within ${days} days`,
      blocks: [
        section(
          `*${list.length} certificates* expire within ${days} days. \`${ctx.services.commandName} cert renew ORG NAME\` renews one.`,
        ),
        ...linesToSections(rows, 40),
      ],
    });
  },
};
