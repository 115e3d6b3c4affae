/**
 * The text of Fabric's signature policy language (see policy.ts), read into a tree and checked,
 * without Fabric's protobufs: the Slack edge checks a policy with this alone.
 */
export class PolicyError extends Error {}

export type PolicyNode = { kind: 'principal'; msp: string; role: string } | { kind: 'outOf'; n: number; rules: PolicyNode[] };

const MAX_LENGTH = 4096;

export function parsePolicyTree(text: string): PolicyNode {
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

  const rule = (depth: number): PolicyNode => {
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

  return root;
}

/** Why an endorsement policy cannot be used, or undefined when it can. */
export function endorsementPolicyProblem(policy: string): string | undefined {
  try {
    parsePolicyTree(policy);
    return undefined;
  } catch (err) {
    if (err instanceof PolicyError) return err.message;
    throw err;
  }
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
