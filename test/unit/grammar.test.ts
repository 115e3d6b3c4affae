import { describe, expect, it } from '@jest/globals';
import { parseCommand, tokenize, usageOf, type Grammar } from '../../src/bot/grammar.js';
import { commands } from '../../src/bot/commands/index.js';

const grammar: Grammar[] = [
  { path: ['help'], summary: 'help', args: [{ name: 'COMMAND', type: { kind: 'string' }, optional: true, rest: true }] },
  {
    path: ['peers', 'scale'],
    summary: 'scale',
    args: [
      { name: 'ORG', type: { kind: 'string', pattern: /^[a-z0-9-]+$/, hint: 'an org name' } },
      { name: 'REPLICAS', type: { kind: 'int', min: 1, max: 20 } },
    ],
    flags: [{ name: 'timeout', value: { placeholder: 'SECONDS', type: { kind: 'int', min: 10 } } }, { name: 'dry-run' }],
  },
  { path: ['peers', 'list'], summary: 'list' },
  {
    path: ['cert', 'revoke'],
    summary: 'revoke',
    args: [{ name: 'NAME', type: { kind: 'string' } }],
    flags: [{ name: 'reason', value: { placeholder: 'REASON', type: { kind: 'enum', values: ['keycompromise', 'superseded'] } } }],
  },
];

const parse = (text: string) => parseCommand(grammar, text, '/fabric');

describe('tokenize', () => {
  it('groups quoted words, including the curly quotes Slack substitutes', () => {
    expect(tokenize('a "b c" \u201Cd e\u201D \'f g\'')).toEqual({ tokens: ['a', 'b c', 'd e', 'f g'] });
  });
  it('reports an unclosed quote', () => {
    expect(tokenize('a "b c')).toEqual({ problem: 'a " quote is not closed' });
  });
});

describe('parseCommand', () => {
  it('parses positional arguments and flags into typed values', () => {
    const r = parse('peers scale org1 3 --timeout=60 --dry-run');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.command.path).toEqual(['peers', 'scale']);
    expect(r.args.string('ORG')).toBe('org1');
    expect(r.args.int('REPLICAS')).toBe(3);
    expect(r.args.optionalInt('timeout')).toBe(60);
    expect(r.args.flag('dry-run')).toBe(true);
  });

  it.each([
    ['peers scale org1', 'missing REPLICAS'],
    ['peers scale org1 0', 'REPLICAS must be a whole number from 1 to 20, not 0'],
    ['peers scale org1 three', 'REPLICAS must be a whole number from 1 to 20, not `three`'],
    ['peers scale Org_1 2', 'ORG must be an org name, not `Org_1`'],
    ['peers scale org1 2 extra', 'unexpected argument `extra`'],
    ['peers scale org1 2 --force', 'unknown option `--force`'],
    ['peers scale org1 2 --timeout', 'option `--timeout` needs a value (SECONDS)'],
    ['peers scale org1 2 --timeout 5', '--timeout must be a whole number of at least 10, not 5'],
    ['peers scale org1 2 --dry-run=yes', 'option `--dry-run` takes no value'],
    ['cert revoke bob --reason lost', '--reason must be one of keycompromise, superseded, not `lost`'],
  ])('%s → %s, with the right form', (text, problem) => {
    const r = parse(text);
    expect(r).toMatchObject({ ok: false, problem });
    if (!r.ok) expect(r.usage[0]).toMatch(/^\/fabric (peers scale|cert revoke) /);
  });

  it('names an unknown subcommand and lists what exists', () => {
    const r = parse('deploy everything');
    expect(r).toMatchObject({ ok: false, problem: '`deploy` is not a command' });
    if (!r.ok) expect(r.usage).toEqual(expect.arrayContaining(['/fabric help', '/fabric peers …', '/fabric cert …']));
  });

  it('names an unknown word inside a group and shows the group', () => {
    const r = parse('peers explode');
    expect(r).toMatchObject({ ok: false, problem: '`peers explode` is not a command' });
    if (!r.ok) expect(r.usage).toEqual(['/fabric peers scale ORG REPLICAS [--timeout SECONDS] [--dry-run]', '/fabric peers list']);
  });

  it('refuses oversized input without echoing it whole', () => {
    const r = parse(`peers scale ${'a'.repeat(500)} 2`);
    expect(r).toMatchObject({ ok: false, problem: 'ORG is too long (500 characters, at most 200)' });
    const huge = parse('x'.repeat(5000));
    expect(huge.ok).toBe(false);
  });

  it('lets a rest argument take the remaining words', () => {
    const r = parse('help peers scale');
    expect(r.ok && r.args.string('COMMAND')).toBe('peers scale');
  });
});

describe('the declared commands', () => {
  it('have unique paths and usages that parse back', () => {
    const paths = commands.map((c) => c.path.join(' '));
    expect(new Set(paths).size).toBe(paths.length);
    for (const c of commands) expect(usageOf('/fabric', c).startsWith(`/fabric ${c.path.join(' ')}`)).toBe(true);
  });
});
