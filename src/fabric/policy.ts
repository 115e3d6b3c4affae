import { common, msp } from '@hyperledger/fabric-protos';

/**
 * Fabric's signature policy language, as the peer CLI's --signature-policy takes it:
 *   AND('Org1MSP.peer', 'Org2MSP.peer'), OR(...), OutOf(2, 'A.member', 'B.member', 'C.member')
 * with roles member, admin, client, peer and orderer. Parsed into the SignaturePolicyEnvelope the
 * lifecycle stores, numbering principals as Fabric's policydsl does, so an approval made
 * here matches one made with the CLI byte for byte.
 */
export class PolicyError extends Error {}

type RoleType = msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap];
const ROLES: Record<string, RoleType> = {
  member: msp.MSPRole.MSPRoleType.MEMBER,
  admin: msp.MSPRole.MSPRoleType.ADMIN,
  client: msp.MSPRole.MSPRoleType.CLIENT,
  peer: msp.MSPRole.MSPRoleType.PEER,
  orderer: msp.MSPRole.MSPRoleType.ORDERER,
};

type Node = { kind: 'principal'; msp: string; role: string } | { kind: 'outOf'; n: number; rules: Node[] };

const MAX_LENGTH = 4096;

export function parseSignaturePolicy(text: string): common.SignaturePolicyEnvelope {
  if (text.length > MAX_LENGTH) throw new PolicyError(`the policy is too long (${text.length} characters, at most ${MAX_LENGTH})`);
  const tokens = tokenize(text);
  let at = 0;
  const peek = (): string | undefined => tokens[at];
  const take = (expected?: string): string => {
    const t = tokens[at];
    if (t === undefined) throw new PolicyError(`the policy ends too early${expected === undefined ? '' : `: expected ${expected}`}`);
    if (expected !== undefined && t !== expected) throw new PolicyError(`expected ${expected} but found ${t}`);
    at++;
    return t;
  };

  const rule = (depth: number): Node => {
    if (depth > 20) throw new PolicyError('the policy nests too deeply');
    const t = take();
    if (t.startsWith("'")) {
      const m = /^'([A-Za-z0-9_.-]+)\.(member|admin|client|peer|orderer)'$/.exec(t);
      if (m === null) throw new PolicyError(`${t} is not a principal like 'Org1MSP.peer' (roles: member, admin, client, peer, orderer)`);
      return { kind: 'principal', msp: m[1] as string, role: m[2] as string };
    }
    const op = t.toLowerCase();
    if (op !== 'and' && op !== 'or' && op !== 'outof') throw new PolicyError(`unknown operator ${t} (AND, OR, OutOf)`);
    take('(');
    let n = 0;
    if (op === 'outof') {
      const count = take();
      if (!/^\d+$/.test(count)) throw new PolicyError(`OutOf needs a count first, not ${count}`);
      n = Number(count);
      take(',');
    }
    const rules = [rule(depth + 1)];
    while (peek() === ',') {
      take(',');
      rules.push(rule(depth + 1));
    }
    take(')');
    if (op === 'and') n = rules.length;
    if (op === 'or') n = 1;
    if (n < 1 || n > rules.length) throw new PolicyError(`OutOf(${n}, …) with ${rules.length} rules can never or always be met`);
    return { kind: 'outOf', n, rules };
  };

  const root = rule(0);
  if (at !== tokens.length) throw new PolicyError(`unexpected ${tokens[at]} after the policy`);

  // Fabric's policydsl gives every occurrence of a principal its own identity, numbered as its
  // expression evaluator meets them: a call's nested calls first, then its own principals.
  const principals: string[] = [];
  const signedBy = (node: Extract<Node, { kind: 'principal' }>): common.SignaturePolicy => {
    const p = new common.SignaturePolicy();
    p.setSignedBy(principals.push(`${node.msp}.${node.role}`) - 1);
    return p;
  };
  const toProto = (node: Node): common.SignaturePolicy => {
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

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(?:('[^']*')|([A-Za-z]+)|(\d+)|([(),]))/y;
  let last = 0;
  for (;;) {
    if (/^\s*$/.test(text.slice(last))) return tokens;
    re.lastIndex = last;
    const m = re.exec(text);
    if (m === null) throw new PolicyError(`cannot read the policy at "${text.slice(last).trim().slice(0, 20)}"`);
    tokens.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string);
    last = re.lastIndex;
  }
}

/** Why an endorsement policy cannot be used, or undefined when it can. */
export function endorsementPolicyProblem(policy: string): string | undefined {
  try {
    parseSignaturePolicy(policy);
    return undefined;
  } catch (err) {
    if (err instanceof PolicyError) return err.message;
    throw err;
  }
}
