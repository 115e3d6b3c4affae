import { X509Certificate } from 'node:crypto';
import { listIdentityCertificates } from '../../k8s/identities.js';
import { networkNamed, type Platform } from './platform.js';

export interface IdentityCertificate {
  secret: string;
  org: string;
  name: string;
  /** When the certificate stops being valid; undefined when it cannot be read. */
  expiresAt?: number;
  daysLeft?: number;
  /** Hex, lower case; undefined when the certificate cannot be read. */
  serial?: string;
}

/**
 * The network's stored identities with their certificates' expiry, unreadable ones first, then
 * soonest to expire: one list call over the identity Secrets, keys never read.
 */
export async function identityCertificates(
  platform: Platform,
  networkName: string | undefined,
  now = Date.now(),
): Promise<IdentityCertificate[]> {
  const network = networkNamed(platform.config, networkName);
  const certs = await listIdentityCertificates(platform.kube(), network.namespace, network.name);
  return certs
    .map((c): IdentityCertificate => {
      try {
        const cert = new X509Certificate(c.certPem);
        const expiresAt = new Date(cert.validTo).getTime();
        return {
          secret: c.secret,
          org: c.org,
          name: c.name,
          expiresAt,
          daysLeft: Math.floor((expiresAt - now) / 86_400_000),
          serial: cert.serialNumber.toLowerCase(),
        };
      } catch {
        return { secret: c.secret, org: c.org, name: c.name };
      }
    })
    .sort((a, b) => (a.expiresAt ?? 0) - (b.expiresAt ?? 0));
}

/** Identities whose certificate expires within `days`, or cannot be read. */
export async function expiringIdentities(
  platform: Platform,
  networkName: string | undefined,
  days: number,
  now = Date.now(),
): Promise<IdentityCertificate[]> {
  const horizon = now + days * 86_400_000;
  return (await identityCertificates(platform, networkName, now)).filter((e) => e.expiresAt === undefined || e.expiresAt <= horizon);
}
