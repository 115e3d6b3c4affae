import { common, msp } from '@hyperledger/fabric-protos';
import { parsePolicyTree, type PolicyNode } from './policy-syntax.js';

/**
 * Fabric's signature policy language, as the peer CLI's --signature-policy takes it:
 *   AND('Org1MSP.peer', 'Org2MSP.peer'), OR(...), OutOf(2, 'A.member', 'B.member', 'C.member')
 * with roles member, admin, client, peer and orderer. Parsed into the SignaturePolicyEnvelope the
 * lifecycle stores, numbering principals as Fabric's policydsl does, so an approval made
 * here matches one made with the CLI byte for byte.
 */
type RoleType = msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap];
const ROLES: Record<string, RoleType> = {
  member: msp.MSPRole.MSPRoleType.MEMBER,
  admin: msp.MSPRole.MSPRoleType.ADMIN,
  client: msp.MSPRole.MSPRoleType.CLIENT,
  peer: msp.MSPRole.MSPRoleType.PEER,
  orderer: msp.MSPRole.MSPRoleType.ORDERER,
};

export function parseSignaturePolicy(text: string): common.SignaturePolicyEnvelope {
  const root = parsePolicyTree(text);
  // Fabric's policydsl gives every occurrence of a principal its own identity, numbered as its
  // expression evaluator meets them: a call's nested calls first, then its own principals.
  const principals: string[] = [];
  const signedBy = (node: Extract<PolicyNode, { kind: 'principal' }>): common.SignaturePolicy => {
    const p = new common.SignaturePolicy();
    p.setSignedBy(principals.push(`${node.msp}.${node.role}`) - 1);
    return p;
  };
  const toProto = (node: PolicyNode): common.SignaturePolicy => {
    if (node.kind === 'principal') return signedBy(node);
    const rules: common.SignaturePolicy[] = new Array<common.SignaturePolicy>(node.rules.length);
    node.rules.forEach((r, i) => {
      if (r.kind === 'outOf') rules[i] = toProto(r);
    });
    node.rules.forEach((r, i) => {
      if (r.kind === 'principal') rules[i] = signedBy(r);
    });
    const nOutOf = new common.SignaturePolicy.NOutOf();
    nOutOf.setN(node.n);
    nOutOf.setRulesList(rules);
    const p = new common.SignaturePolicy();
    p.setNOutOf(nOutOf);
    return p;
  };
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setVersion(0);
  envelope.setRule(toProto(root));
  envelope.setIdentitiesList(
    principals.map((key) => {
      const dot = key.lastIndexOf('.');
      const role = new msp.MSPRole();
      role.setMspIdentifier(key.slice(0, dot));
      role.setRole(ROLES[key.slice(dot + 1)] as RoleType);
      const principal = new msp.MSPPrincipal();
      principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
      principal.setPrincipal(role.serializeBinary());
      return principal;
    }),
  );
  return envelope;
}
