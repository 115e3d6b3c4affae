import { X509Certificate } from 'node:crypto';
import { common, msp } from '@hyperledger/fabric-protos';
import { parseSignaturePolicy } from './policy.js';

/**
 * An application org's definition in a channel config, as configtxgen's `-printOrg` writes it
 * for an org whose MSP has NodeOUs enabled on its CA's root (the layout Fabric CA and this project
 * use): the MSP value (root and intermediate CAs, TLS roots, NodeOUs) and the four policies
 * Readers, Writers, Admins and Endorsement, everything under the org's own Admins.
 */
export interface OrgDefinition {
  mspId: string;
  /** The CA's chain, as its /cainfo gives it: the root and any intermediates, PEM. */
  caChain: string[];
  /** The roots the org's TLS certificates chain to, PEM. */
  tlsRoots: string[];
}

const ADMINS = 'Admins';

const selfSigned = (pem: string): boolean => {
  const cert = new X509Certificate(pem);
  return cert.issuer === cert.subject && cert.verify(cert.publicKey);
};

/** The PEM certificates in a text, one each. */
export function pemCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

function ouIdentifier(rootPem: string, ou: string): msp.FabricOUIdentifier {
  const id = new msp.FabricOUIdentifier();
  id.setCertificate(Buffer.from(rootPem));
  id.setOrganizationalUnitIdentifier(ou);
  return id;
}

function mspValue(def: OrgDefinition): common.ConfigValue {
  const roots = def.caChain.filter(selfSigned);
  const [root] = roots;
  if (root === undefined) throw new Error(`${def.mspId}: the CA chain has no root certificate`);
  const tlsRoots = def.tlsRoots.filter(selfSigned);
  const config = new msp.FabricMSPConfig();
  config.setName(def.mspId);
  config.setRootCertsList(roots.map((pem) => Buffer.from(pem)));
  config.setIntermediateCertsList(def.caChain.filter((pem) => !selfSigned(pem)).map((pem) => Buffer.from(pem)));
  config.setTlsRootCertsList(tlsRoots.map((pem) => Buffer.from(pem)));
  config.setTlsIntermediateCertsList(def.tlsRoots.filter((pem) => !selfSigned(pem)).map((pem) => Buffer.from(pem)));
  const crypto = new msp.FabricCryptoConfig();
  crypto.setSignatureHashFamily('SHA2');
  crypto.setIdentityIdentifierHashFunction('SHA256');
  config.setCryptoConfig(crypto);
  const ous = new msp.FabricNodeOUs();
  ous.setEnable(true);
  ous.setClientOuIdentifier(ouIdentifier(root, 'client'));
  ous.setPeerOuIdentifier(ouIdentifier(root, 'peer'));
  ous.setAdminOuIdentifier(ouIdentifier(root, 'admin'));
  ous.setOrdererOuIdentifier(ouIdentifier(root, 'orderer'));
  config.setFabricNodeOus(ous);
  const wrapped = new msp.MSPConfig();
  wrapped.setType(0); // FABRIC
  wrapped.setConfig(config.serializeBinary());
  const value = new common.ConfigValue();
  value.setModPolicy(ADMINS);
  value.setValue(wrapped.serializeBinary());
  return value;
}

function signaturePolicy(rule: string): common.ConfigPolicy {
  const policy = new common.Policy();
  policy.setType(common.Policy.PolicyType.SIGNATURE);
  policy.setValue(parseSignaturePolicy(rule).serializeBinary());
  const configPolicy = new common.ConfigPolicy();
  configPolicy.setModPolicy(ADMINS);
  configPolicy.setPolicy(policy);
  return configPolicy;
}

/** The org's group for the Application group of a channel (version 0, as a new member is written). */
export function applicationOrgGroup(def: OrgDefinition): common.ConfigGroup {
  const m = def.mspId;
  const group = new common.ConfigGroup();
  group.setModPolicy(ADMINS);
  group.getValuesMap().set('MSP', mspValue(def));
  const policies = group.getPoliciesMap();
  policies.set('Readers', signaturePolicy(`OR('${m}.admin', '${m}.peer', '${m}.client')`));
  policies.set('Writers', signaturePolicy(`OR('${m}.admin', '${m}.client')`));
  policies.set('Admins', signaturePolicy(`OR('${m}.admin')`));
  policies.set('Endorsement', signaturePolicy(`OR('${m}.peer')`));
  return group;
}
