import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

const certificatesIn = (pem: string): X509Certificate[] =>
  (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c));

/**
 * Why a TLS client trusting `rootPem` would refuse this server certificate for one of `hosts`, or
 * would soon; undefined when it would accept it for all of them.
 */
export function serverCertificateProblem(certPem: string, rootPem: string, hosts: string[], now = Date.now()): string | undefined {
  const cert = new X509Certificate(certPem);
  if (!certificatesIn(rootPem).some((root) => cert.checkIssued(root) && cert.verify(root.publicKey)))
    return `serial ${cert.serialNumber} is not signed by the trusted TLS root`;
  // Renewed, not kept, once less than a third of its life is left (as cert-manager does by default).
  const [from, to] = [Date.parse(cert.validFrom), Date.parse(cert.validTo)];
  if (to - now < (to - from) / 3) return `serial ${cert.serialNumber} expires ${cert.validTo}`;
  const unnamed = hosts.filter((h) => (isIP(h) === 0 ? cert.checkHost(h, { subject: 'never' }) : cert.checkIP(h)) === undefined);
  if (unnamed.length > 0) return `serial ${cert.serialNumber} does not name ${unnamed.join(', ')}`;
  return undefined;
}
