import type * as kinds from '../kinds.js';
import { X509Certificate } from 'node:crypto';
import type { NetworkConfig, OrgConfig } from '../../../config/model.js';
import type { IdentityType } from '../../../fabric/ca.js';
import type { Kube } from '../../../k8s/client.js';
import {
  identitySecretName,
  readIdentity,
  readSecretData,
  registrationSecretName,
  saveIdentity,
  saveRegistration,
} from '../../../k8s/identities.js';
import { caAccess, NOTE_ISSUED, noteIssued, refuseConfiguredIdentity, refusingForeign, revokeLeftovers } from '../../services/ca-access.js';
import { PermanentError } from '../../engine/errors.js';
import { networkNamed, orgNamed } from '../../services/platform.js';
import type { JobContext, JobHandler } from '../../engine/worker.js';

const NODE_TYPES: readonly IdentityType[] = ['peer', 'orderer'];

function describeCert(pem: string): { serial: string; expires: string } {
  const cert = new X509Certificate(pem);
  return { serial: cert.serialNumber.toLowerCase(), expires: new Date(cert.validTo).toISOString().slice(0, 10) };
}

/** The identity a cert job is about: its org, network and Secret. */
function identityTarget(ctx: JobContext, { org, name }: { org: string; name: string }) {
  const network = networkNamed(ctx.platform.config, ctx.request.network);
  const ref = { network: network.name, org, name };
  return { org, name, network, orgConfig: orgNamed(network, org), kube: ctx.platform.kube(), ref, secretName: identitySecretName(ref) };
}

/** The org's CA and registrar, once it is sure `name` is not an identity the configuration relies on. */
function caReady(ctx: JobContext, kube: Kube, network: NetworkConfig, orgConfig: OrgConfig, name: string): ReturnType<typeof caAccess> {
  return ctx.prepare(`Read ${orgConfig.name}'s CA registrar`, async () => {
    const access = await caAccess(kube, network, orgConfig);
    await refuseConfiguredIdentity(kube, network, orgConfig, access.registrar, name);
    return access;
  });
}

/**
 * Registers an identity at the org's CA, enrolls it (and a TLS certificate for nodes) and stores
 * the result in the identity Secret. Run again, it finds the Secret and changes nothing.
 */
export const certEnroll: JobHandler<typeof kinds.certEnroll> = async (ctx, params) => {
  const { org, name, network, orgConfig, kube, ref, secretName } = identityTarget(ctx, params);
  const type: IdentityType = params.type;

  const existing = await ctx.step({ key: 'look-for-an-identity-secret', title: 'Look for an identity Secret' }, async (note) => {
    const id = await readIdentity(kube, network.namespace, secretName);
    await note(id === undefined ? `${secretName}: none yet` : `${secretName} exists`);
    return id === undefined ? null : describeCert(id.certPem);
  });
  if (existing !== null) {
    return {
      summary: `${name} was already enrolled in ${org}; nothing changed`,
      fields: [
        { label: 'Secret', value: `${network.namespace}/${secretName}` },
        { label: 'Serial', value: existing.serial },
        { label: 'Expires', value: existing.expires },
      ],
    };
  }
  const { ca, registrar } = await caReady(ctx, kube, network, orgConfig, name);
  const knownBefore = await ctx.step(NOTE_ISSUED, (note) => noteIssued(ca, registrar, name, note));
  // The secret lives only inside this step; job progress records that it happened, not the value.
  const ENROLL = { key: 'register-and-enroll', title: 'Register and enroll at the CA' };
  const enrolled = await ctx.step(ENROLL, async (note) => {
    const secret = await refusingForeign(() => ca.register(registrar, { id: name, type }));
    const signing = await ca.enroll({ id: name, secret });
    const tls = NODE_TYPES.includes(type)
      ? await ca.enroll({ id: name, secret, profile: 'tls', hosts: ['127.0.0.1', 'localhost', name] })
      : undefined;
    await saveIdentity(kube, network.namespace, ref, {
      mspId: orgConfig.mspId,
      certPem: signing.certPem,
      keyPem: signing.keyPem,
      caChainPem: signing.caChainPem,
      ...(tls === undefined ? {} : { tlsCertPem: tls.certPem, tlsKeyPem: tls.keyPem, tlsCaPem: tls.caChainPem }),
    });
    const d = describeCert(signing.certPem);
    await note(`${type} certificate ${d.serial}${tls === undefined ? '' : ' and a TLS certificate'}, stored in ${secretName}`);
    if (ctx.interruptedAt(ENROLL) !== undefined) {
      const revoked = await revokeLeftovers(ca, registrar, name, knownBefore, [
        signing.certPem,
        ...(tls === undefined ? [] : [tls.certPem]),
      ]);
      ctx.log.info({ revoked }, 'certificates of an interrupted attempt revoked');
      if (revoked.length > 0)
        await note(
          `${type} certificate ${d.serial} stored in ${secretName}; ` +
            `revoked ${revoked.join(', ')}, issued to an interrupted attempt and never stored`,
        );
    }
    return d;
  });
  return {
    summary: `${name} enrolled in ${org} as ${type}`,
    fields: [
      { label: 'Secret', value: `${network.namespace}/${secretName}` },
      { label: 'Serial', value: enrolled.serial },
      { label: 'Expires', value: enrolled.expires },
    ],
  };
};

/**
 * Registers an identity without enrolling it: the enrollment secret goes to a Kubernetes Secret
 * for whoever enrolls (a node's operator, an application). Run again, it finds that Secret.
 */
export const certRegister: JobHandler<typeof kinds.certRegister> = async (ctx, params) => {
  const { org, name, network, orgConfig, kube, ref } = identityTarget(ctx, params);
  const { type, attrs, maxEnrollments } = params;
  const secretName = registrationSecretName(ref);
  const existing = await ctx.step({ key: 'look-for-a-registration-secret', title: 'Look for a registration Secret' }, async (note) => {
    const data = await readSecretData(kube, network.namespace, secretName);
    await note(data === undefined ? `${secretName}: none yet` : `${secretName} exists`);
    return data !== undefined;
  });
  if (existing)
    return {
      summary: `${name} was already registered in ${org}; nothing changed`,
      fields: [{ label: 'Enrollment secret in', value: `${network.namespace}/${secretName}` }],
    };
  const { ca, registrar } = await caReady(ctx, kube, network, orgConfig, name);
  // As for enroll: the secret exists only inside this step and the Secret it is written to.
  await ctx.step({ key: 'register-at-the-ca', title: 'Register at the CA' }, async (note) => {
    const enrollmentSecret = await refusingForeign(() =>
      ca.register(registrar, {
        id: name,
        type,
        maxEnrollments,
        attrs,
        ...(params.affiliation === undefined ? {} : { affiliation: params.affiliation }),
      }),
    );
    await saveRegistration(kube, network.namespace, ref, { enrollmentSecret, caUrl: orgConfig.ca.url, type });
    const withAttrs = attrs.length === 0 ? '' : ` with ${attrs.map((a) => a.name).join(', ')}`;
    await note(`${type} ${name} registered${withAttrs}; enrollment secret stored in ${secretName}`);
  });
  return {
    summary: `${name} registered in ${org} as ${type}`,
    fields: [
      { label: 'Enrollment secret in', value: `${network.namespace}/${secretName}` },
      { label: 'Max enrollments', value: maxEnrollments < 0 ? 'unlimited' : String(maxEnrollments) },
    ],
  };
};

/** Revokes every certificate of an identity at the org's CA. Revoking again is not an error. */
export const certRevoke: JobHandler<typeof kinds.certRevoke> = async (ctx, params) => {
  const { org, name, network, orgConfig, kube } = identityTarget(ctx, params);
  const { reason } = params;
  const { ca, registrar } = await caReady(ctx, kube, network, orgConfig, name);
  const serials = await ctx.step({ key: 'revoke-at-the-ca', title: 'Revoke at the CA' }, async (note) => {
    try {
      const revoked = await ca.revoke(registrar, { id: name, reason });
      await note(revoked.length === 0 ? 'no certificate left to revoke' : `revoked ${revoked.join(', ')}`);
      return revoked;
    } catch (err) {
      if (err instanceof Error && /not found|does not exist/i.test(err.message)) throw new PermanentError(`${org} has no identity ${name}`);
      throw err;
    }
  });
  return {
    summary: `${name} revoked in ${org} (${reason})`,
    fields: [{ label: 'Certificates revoked', value: serials.length === 0 ? 'none left' : serials.join(', ') }],
  };
};

/** Renews an identity's certificate (reenroll with a new key) and replaces it in its Secret. */
export const certRenew: JobHandler<typeof kinds.certRenew> = async (ctx, params) => {
  const { org, name, network, orgConfig, kube, ref, secretName } = identityTarget(ctx, params);
  const { ca, registrar } = await caReady(ctx, kube, network, orgConfig, name);
  const knownBefore = await ctx.step(NOTE_ISSUED, (note) => noteIssued(ca, registrar, name, note));
  const RENEW = { key: 'renew', title: 'Renew at the CA' };
  const renewed = await ctx.step(RENEW, async (note) => {
    const current = await readIdentity(kube, network.namespace, secretName);
    if (current === undefined) throw new PermanentError(`no identity Secret ${secretName}: enroll ${name} first`);
    const before = describeCert(current.certPem);
    const next = await ca.reenroll({ id: name, mspId: current.mspId, certPem: current.certPem, keyPem: current.keyPem });
    await saveIdentity(kube, network.namespace, ref, {
      ...current,
      certPem: next.certPem,
      keyPem: next.keyPem,
      caChainPem: next.caChainPem,
    });
    const after = describeCert(next.certPem);
    await note(`${before.serial} (expires ${before.expires}) → ${after.serial} (expires ${after.expires})`);
    if (ctx.interruptedAt(RENEW) !== undefined) {
      const revoked = await revokeLeftovers(ca, registrar, name, knownBefore, [
        current.certPem,
        next.certPem,
        ...(current.tlsCertPem === undefined ? [] : [current.tlsCertPem]),
      ]);
      if (revoked.length > 0)
        await note(`${before.serial} → ${after.serial}; revoked ${revoked.join(', ')}, issued to an interrupted attempt and never stored`);
    }
    return after;
  });
  return {
    summary: `${name} renewed in ${org}`,
    fields: [
      { label: 'Serial', value: renewed.serial },
      { label: 'Expires', value: renewed.expires },
      { label: 'Secret', value: `${network.namespace}/${secretName}` },
    ],
  };
};
