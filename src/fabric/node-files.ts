import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What a Fabric node needs to start as itself: its enrolled signing identity and TLS pair. */
export interface NodeIdentity {
  certPem: string;
  keyPem: string;
  caChainPem?: string;
  tlsCertPem?: string;
  tlsKeyPem?: string;
  tlsCaPem?: string;
}

export interface NodeFile {
  /** Relative to the node's identity directory. */
  path: string;
  content: string;
  /** 0o600 for private keys, readable by the node's user only. */
  mode: number;
}

/**
 * NodeOUs: a certificate's OU (client, peer, admin, orderer) decides its role in the MSP, as
 * Fabric CA issues them; the channel's MSP definitions enable the same.
 */
export function nodeOUsConfig(caCertPath: string): string {
  const ou = (name: string) => `    Certificate: ${caCertPath}\n    OrganizationalUnitIdentifier: ${name}\n`;
  return `NodeOUs:\n  Enable: true\n${['Client', 'Peer', 'Admin', 'Orderer']
    .map((role) => `  ${role}OUIdentifier:\n${ou(role.toLowerCase())}`)
    .join('')}`;
}

/**
 * The files of a node's local MSP (msp/) and TLS material (tls/), laid out where a peer's or
 * orderer's configuration points: CORE_PEER_MSPCONFIGPATH=<dir>/msp, CORE_PEER_TLS_CERT_FILE=
 * <dir>/tls/server.crt, CORE_PEER_TLS_KEY_FILE=<dir>/tls/server.key, CORE_PEER_TLS_ROOTCERT_FILE=<dir>/tls/ca.crt.
 */
export function nodeIdentityFiles(id: NodeIdentity): NodeFile[] {
  if (id.caChainPem === undefined) throw new Error('the identity has no CA certificate (ca.pem)');
  const files: NodeFile[] = [
    { path: 'msp/signcerts/cert.pem', content: id.certPem, mode: 0o644 },
    { path: 'msp/keystore/key.pem', content: id.keyPem, mode: 0o600 },
    { path: 'msp/cacerts/ca.pem', content: id.caChainPem, mode: 0o644 },
    { path: 'msp/config.yaml', content: nodeOUsConfig('cacerts/ca.pem'), mode: 0o644 },
  ];
  if (id.tlsCertPem === undefined || id.tlsKeyPem === undefined || id.tlsCaPem === undefined)
    throw new Error('the identity has no TLS certificate, key and CA (tls.crt, tls.key, tls-ca.pem): enroll it with the tls profile');
  files.push(
    { path: 'msp/tlscacerts/ca.pem', content: id.tlsCaPem, mode: 0o644 },
    { path: 'tls/server.crt', content: id.tlsCertPem, mode: 0o644 },
    { path: 'tls/server.key', content: id.tlsKeyPem, mode: 0o600 },
    { path: 'tls/ca.crt', content: id.tlsCaPem, mode: 0o644 },
  );
  return files;
}

/** Writes the files under `dir`; written again, they are replaced, not appended to. */
export function writeNodeFiles(dir: string, files: NodeFile[]): void {
  for (const f of files) {
    const target = path.join(dir, f.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.content, { mode: f.mode });
    chmodSync(target, f.mode);
  }
}
