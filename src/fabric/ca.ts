import { X509Certificate } from 'node:crypto';
import { generateKeyPairSync, sign } from 'node:crypto';
import { requestText } from './http-text.js';
import FabricCAServices from 'fabric-ca-client';
import { User } from 'fabric-common';
import jsrsasign from 'jsrsasign';
import { crlSerials } from './crl.js';

/** Where an organisation's Fabric CA answers, and the root its TLS certificate chains to. */
export interface CaEndpoint {
  url: string;
  caName?: string;
  tlsRootPem: string;
}

/** An identity allowed to register and revoke at the CA (hf.Registrar.*, hf.Revoker). */
export interface RegistrarIdentity {
  mspId: string;
  certPem: string;
  keyPem: string;
}

export interface Enrollment {
  certPem: string;
  keyPem: string;
  caChainPem: string;
}

export type IdentityType = 'peer' | 'orderer' | 'client' | 'admin';

export class CaError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'CaError';
  }
}

/**
 * Every identity the bot registers carries this attribute (not in its certificates). The bot
 * changes only identities that carry it: one registered by anyone else (the CA's bootstrap
 * registrar, an org's admin, an application's user) is never updated or given a new secret.
 * The registrar needs it in hf.Registrar.Attributes (the bootstrap registrar has "*").
 */
export const MANAGED_ATTRIBUTE = 'fabric-chatops.registered';

/** The CA has an identity of that name that the bot did not register: it is left alone. */
export class ForeignIdentityError extends CaError {
  constructor(readonly id: string) {
    super(`the CA already has an identity ${id} that fabric-chatops did not register; the bot leaves it as it is (choose another name)`);
    this.name = 'ForeignIdentityError';
  }
}

/** Fabric CA's error code for "is already registered". */
const ALREADY_REGISTERED = 74;
/** How Fabric CA says it has no such identity (the registry's lookup error, passed through). */
const isUnknownIdentity = (e: CaError): boolean => /failed to get user|no rows in result set|not found/i.test(e.message);

export interface IdentityAttribute {
  name: string;
  value: string;
  /** Copied into the enrollment certificate by default. */
  ecert?: boolean;
}

export interface RegisterRequest {
  id: string;
  type: IdentityType;
  affiliation?: string;
  /** -1 (the default) for no limit. */
  maxEnrollments?: number;
  attrs?: IdentityAttribute[];
}

export interface RegisteredIdentity {
  id: string;
  type: string;
  affiliation: string;
  maxEnrollments: number;
  attrs: IdentityAttribute[];
}

function caError(err: unknown, what: string): CaError {
  const text = err instanceof Error ? err.message : String(err);
  const code = /code: (\d+)/.exec(text)?.[1];
  const message = /message: ([^\]]+)/.exec(text)?.[1]?.trim();
  return new CaError(`${what}: ${message ?? text}`, code === undefined ? undefined : Number(code));
}

/**
 * A CSR made here, with the key never leaving this process: subject CN = the enrollment id, and
 * for TLS the hosts as subjectAltNames (the CA copies them into the certificate).
 */
function newCsr(enrollmentId: string, hosts: string[]): { csr: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const san = hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { ip: h } : { dns: h }));
  const request = {
    subject: { str: `/CN=${enrollmentId}` },
    sbjpubkey: pubPem,
    sigalg: 'SHA256withECDSA',
    ...(san.length === 0 ? {} : { extreq: [{ extname: 'subjectAltName', array: san }] }),
  };
  // jsrsasign lays out the request; Node signs it (jsrsasign's own ECDSA, in JavaScript, took about 30 ms).
  const info = Buffer.from(new jsrsasign.KJUR.asn1.csr.CertificationRequestInfo(request).getEncodedHex(), 'hex');
  const sighex = sign('sha256', info, privateKey).toString('hex');
  return { csr: new jsrsasign.KJUR.asn1.csr.CertificationRequest({ ...request, sighex }).getPEM(), keyPem };
}

/** True when the bot registered the identity (it carries MANAGED_ATTRIBUTE). */
export function isManaged(identity: Pick<RegisteredIdentity, 'attrs'>): boolean {
  return identity.attrs.some((a) => a.name === MANAGED_ATTRIBUTE && a.value === 'true');
}

/** Registration, enrollment and revocation at one organisation's Fabric CA, over TLS. */
export class FabricCaClient {
  private readonly services: FabricCAServices;

  constructor(readonly endpoint: CaEndpoint) {
    this.services = new FabricCAServices(
      endpoint.url,
      { trustedRoots: [endpoint.tlsRootPem] as unknown as Buffer, verify: true },
      endpoint.caName ?? '',
    );
  }

  /** Users made for this client's calls, one per identity (importing the key each call cost several ms). */
  private readonly users = new Map<string, Promise<User>>();

  private asUser(registrar: RegistrarIdentity, name = 'registrar'): Promise<User> {
    const key = `${name}\n${registrar.mspId}\n${registrar.certPem}`;
    let user = this.users.get(key);
    if (user === undefined) {
      user = (async () => {
        const made = new User(name);
        const suite = User.newCryptoSuite();
        made.setCryptoSuite(suite);
        await made.setEnrollment(await suite.createKeyFromRaw(registrar.keyPem), registrar.certPem, registrar.mspId);
        return made;
      })();
      this.users.set(key, user);
      user.catch(() => this.users.delete(key));
    }
    return user;
  }

  /**
   * Registers the identity (marked with MANAGED_ATTRIBUTE) and returns its enrollment secret.
   * Registering one the bot registered before gives it a new secret instead, so a retried job can
   * still enroll it; one that someone else registered is refused (ForeignIdentityError).
   */
  async register(registrar: RegistrarIdentity, req: RegisterRequest): Promise<string> {
    const user = await this.asUser(registrar);
    const secret = jsrsasign.KJUR.crypto.Util.getRandomHexOfNbytes(16);
    const attrs = [
      ...(req.attrs ?? [])
        .filter((a) => a.name !== MANAGED_ATTRIBUTE)
        .map((a) => ({ name: a.name, value: a.value, ecert: a.ecert === true })),
      { name: MANAGED_ATTRIBUTE, value: 'true', ecert: false },
    ];
    try {
      return await this.services.register(
        {
          enrollmentID: req.id,
          enrollmentSecret: secret,
          role: req.type,
          affiliation: req.affiliation ?? '',
          maxEnrollments: req.maxEnrollments ?? -1,
          attrs,
        },
        user,
      );
    } catch (err) {
      const e = caError(err, `registering ${req.id}`);
      if (e.code !== ALREADY_REGISTERED) throw e;
      const existing = await this.identity(registrar, req.id);
      if (existing === undefined || !isManaged(existing)) throw new ForeignIdentityError(req.id);
      try {
        await this.services.newIdentityService().update(
          req.id,
          {
            enrollmentID: req.id,
            affiliation: req.affiliation ?? '',
            enrollmentSecret: secret,
            maxEnrollments: req.maxEnrollments ?? -1,
            attrs,
          },
          user,
        );
      } catch (updateErr) {
        throw caError(updateErr, `resetting the secret of ${req.id}`);
      }
      return secret;
    }
  }

  /** The identity as the CA has it registered; undefined when the CA does not know it. */
  async identity(registrar: RegistrarIdentity, id: string): Promise<RegisteredIdentity | undefined> {
    const user = await this.asUser(registrar);
    let res: {
      success?: boolean;
      result?: {
        id: string;
        type: string;
        affiliation: string;
        max_enrollments: number;
        attrs?: { name: string; value: string; ecert?: boolean }[];
      };
      errors?: { code: number; message: string }[];
    };
    try {
      res = (await this.services.newIdentityService().getOne(id, user)) as typeof res;
    } catch (err) {
      const e = caError(err, `reading ${id}`);
      if (isUnknownIdentity(e)) return undefined;
      throw e;
    }
    if (res.success === false || res.result === undefined) {
      const e = new CaError(`reading ${id}: ${res.errors?.map((x) => x.message).join('; ') ?? 'no result'}`, res.errors?.[0]?.code);
      if (isUnknownIdentity(e)) return undefined;
      throw e;
    }
    const r = res.result;
    return {
      id: r.id,
      type: r.type,
      affiliation: r.affiliation,
      maxEnrollments: r.max_enrollments,
      attrs: (r.attrs ?? []).map((a) => ({ name: a.name, value: a.value, ecert: a.ecert === true })),
    };
  }

  /** Enrolls with a key made here; `profile: 'tls'` with `hosts` for a TLS certificate. */
  async enroll(req: { id: string; secret: string; profile?: 'tls'; hosts?: string[] }): Promise<Enrollment> {
    const { csr, keyPem } = newCsr(req.id, req.hosts ?? []);
    try {
      const res = await this.services.enroll({
        enrollmentID: req.id,
        enrollmentSecret: req.secret,
        csr,
        ...(req.profile === undefined ? {} : { profile: req.profile }),
      });
      return { certPem: res.certificate, keyPem, caChainPem: res.rootCertificate };
    } catch (err) {
      throw caError(err, `enrolling ${req.id}`);
    }
  }

  /**
   * Renews an enrolled identity's certificate (reenroll), signed by the identity itself, with a
   * new key made here. Fails for a revoked identity.
   */
  async reenroll(current: RegistrarIdentity & { id: string }): Promise<Enrollment> {
    const user = await this.asUser(current, current.id);
    try {
      const res = await this.services.reenroll(user, []);
      return { certPem: res.certificate, keyPem: res.key.toBytes(), caChainPem: res.rootCertificate };
    } catch (err) {
      throw caError(err, `renewing ${current.id}`);
    }
  }

  /** The identity's certificates the CA issued that are neither revoked nor expired. */
  async certificates(registrar: RegistrarIdentity, id: string): Promise<{ serial: string; pem: string }[]> {
    const user = await this.asUser(registrar);
    let res: { result?: { certs?: { PEM: string }[] } };
    try {
      // The package's type declarations omit the certificate service it ships.
      const service = (
        this.services as unknown as {
          newCertificateService(): { getCertificates(req: Record<string, unknown>, registrar: User): Promise<unknown> };
        }
      ).newCertificateService();
      res = (await service.getCertificates({ id, notrevoked: true, notexpired: true }, user)) as typeof res;
    } catch (err) {
      throw caError(err, `listing the certificates of ${id}`);
    }
    return (res.result?.certs ?? []).map((c) => ({ serial: new X509Certificate(c.PEM).serialNumber.toLowerCase(), pem: c.PEM }));
  }

  /** Revokes one certificate by serial (hex) and the AKI of the CA that issued it. */
  async revokeCertificate(registrar: RegistrarIdentity, id: string, pem: string, reason: string): Promise<void> {
    const user = await this.asUser(registrar);
    const cert = new jsrsasign.X509();
    cert.readCertPEM(pem);
    const aki = cert.getExtAuthorityKeyIdentifier()?.kid?.hex ?? '';
    try {
      await this.services.revoke({ enrollmentID: id, serial: cert.getSerialNumberHex(), aki, reason }, user);
    } catch (err) {
      throw caError(err, `revoking certificate ${cert.getSerialNumberHex()}`);
    }
  }

  /**
   * The CA's certificate chain, as its /cainfo gives it (PEM, its own certificate first). Asked as
   * `fabric-ca-client getcainfo` asks it, without signing: it needs no identity, and so no key.
   */
  async caChain(timeoutMs = 15_000): Promise<string> {
    let status: number;
    let text: string;
    try {
      ({ status, text } = await requestText(new URL('/api/v1/cainfo', this.endpoint.url), {
        method: 'POST',
        tls: { ca: this.endpoint.tlsRootPem },
        body: { type: 'application/json', bytes: Buffer.from(JSON.stringify({ caname: this.endpoint.caName ?? '' })) },
        timeoutMs,
      }));
    } catch (err) {
      throw caError(err, 'reading the CA chain');
    }
    try {
      const answer = JSON.parse(text) as { success?: boolean; result?: { CAChain?: string }; errors?: { message?: string }[] };
      if (answer.success !== true || answer.result?.CAChain === undefined)
        throw new Error(answer.errors?.map((e) => e.message).join('; ') || `HTTP ${status}`);
      return Buffer.from(answer.result.CAChain, 'base64').toString('utf8');
    } catch (err) {
      throw caError(err, 'reading the CA chain');
    }
  }

  /** The CA's current certificate revocation list (PEM) and the serials on it (hex, lower case). */
  async crl(registrar: RegistrarIdentity): Promise<{ pem: string; serials: string[] }> {
    const user = await this.asUser(registrar);
    let b64: string;
    try {
      b64 = (await this.services.generateCRL({}, user)) as string;
    } catch (err) {
      throw caError(err, 'generating the CRL');
    }
    const pem = Buffer.from(b64, 'base64').toString('utf8');
    return { pem, serials: crlSerials(pem) };
  }

  /** Revokes every certificate of the identity; returns the serials revoked. */
  async revoke(registrar: RegistrarIdentity, req: { id: string; reason?: string }): Promise<string[]> {
    const user = await this.asUser(registrar);
    try {
      const res = (await this.services.revoke({ enrollmentID: req.id, reason: req.reason ?? 'unspecified' }, user)) as {
        result?: { RevokedCerts?: { Serial: string }[] };
      };
      return (res.result?.RevokedCerts ?? []).map((c) => c.Serial);
    } catch (err) {
      throw caError(err, `revoking ${req.id}`);
    }
  }
}
