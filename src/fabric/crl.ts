import jsrsasign from 'jsrsasign';

/** The serials (hex, lower case, no leading zeros) a PEM CRL revokes. */
export function crlSerials(pem: string): string[] {
  const list = new jsrsasign.X509CRL(pem).getRevCertArray() ?? [];
  return list.map((r) => r.sn.hex.toLowerCase().replace(/^0+/, ''));
}
