import { describe, expect, it } from '@jest/globals';
import { commands } from '../../src/bot/commands/index.js';
import { parseCommand } from '../../src/bot/grammar.js';

/** Names are checked where they enter, before anything is queued: what passes is safe to use. */
const parse = (text: string) => parseCommand(commands, text, '/fabric');
const refused = (text: string): string => {
  const r = parse(text);
  if (r.ok) throw new Error(`accepted: ${text}`);
  return r.problem;
};

describe('argument checks at the edge', () => {
  it.each(['org1', 'a', 'org-2', 'x'.repeat(63)])('accepts the org name %s', (org) => {
    expect(parse(`peers scale ${org} 2`).ok).toBe(true);
  });
  it.each(['-org', 'org-', 'Org1', 'org_1', 'x'.repeat(64), 'org.1'])('refuses the org name %s, saying what it must be', (org) => {
    expect(refused(`peers scale ${org} 2`)).toContain('an org name (lower-case letters, digits and inner "-", at most 63)');
  });

  it.each(['basic', 'asset-transfer', 'kv_2', 'a1'])('accepts the chaincode name %s', (name) => {
    expect(parse(`chaincode deploy ${name} 1.0`).ok).toBe(true);
  });
  it.each(['Basic', 'a--b', 'a_', '-a', 'a.b', 'x'.repeat(41), 'a b'])('refuses the chaincode name %s', (name) => {
    expect(refused(`chaincode deploy "${name}" 1.0`)).toMatch(/chaincode name|unexpected argument/);
  });

  it.each(['1.0', 'v2', '2024.01.01-rc_1'])('accepts the version %s', (v) => {
    expect(parse(`chaincode deploy kv ${v}`).ok).toBe(true);
  });
  it.each(['.1', '1+build', '1/2', 'x'.repeat(33)])('refuses the version %s', (v) => {
    expect(refused(`chaincode deploy kv ${v}`)).toContain('a version such as 1.0');
  });

  it.each(['org1-peer-0', 'pod.with.dots'])('accepts the pod name %s', (pod) => {
    expect(parse(`pods logs ${pod}`).ok).toBe(true);
  });
  it.each(['Org1-peer', '-pod', 'pod-', 'a..b', 'pod_1'])('refuses the pod name %s', (pod) => {
    expect(refused(`pods logs ${pod}`)).toContain('a pod name (a DNS-1123 subdomain)');
  });

  it('refuses attribute lists that are not name=value pairs', () => {
    expect(parse('cert register org1 device --attrs role=sensor:ecert,site=lab').ok).toBe(true);
    for (const bad of ['role', 'role=a,', '=x', 'a=b=c', `a=${'v'.repeat(300)}`])
      expect(refused(`cert register org1 device --attrs ${bad}`)).toMatch(/name=value pairs|is too long/);
  });

  it('refuses oversized arguments and text with a message', () => {
    expect(refused(`cert show org1 ${'n'.repeat(10_000)}`)).toMatch(/too long|identity name/);
    expect(refused(`status ${'x '.repeat(1500)}`)).toContain('too long');
  });
});
