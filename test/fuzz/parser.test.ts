import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { commands } from '../../src/bot/commands/index.js';
import { parseCommand, usageOf } from '../../src/bot/grammar.js';

/**
 * The command parser on 10,000 generated inputs per property: it never throws, and every input
 * gets either a parsed command or a problem a person can read, with the command's right form.
 */
const RUNS = 10_000;
const words = [...new Set(commands.flatMap((c) => c.path))];
const flags = [...new Set(commands.flatMap((c) => (c.flags ?? []).map((f) => `--${f.name}`)))];

/** Text shaped like commands: real words and flags, numbers, quotes, odd characters. */
const commandLike = fc
  .array(
    fc.oneof(
      fc.constantFrom(...words),
      fc.constantFrom(...flags),
      fc.constantFrom(
        'org1',
        'org2',
        'peer0',
        '3',
        '-1',
        '0',
        '99999999999',
        '1.0',
        "'quoted word'",
        '"double',
        '“curly”',
        '=',
        '--',
        '---x',
        '`code`',
        '<@U0ALICE>',
        '*',
        '\u0000',
        '\u202e',
        '🙂',
      ),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(' '));

function answeredClearly(text: string): void {
  const result = parseCommand(commands, text, '/fabric');
  if (result.ok) {
    expect(commands).toContain(result.command);
    return;
  }
  expect(typeof result.problem).toBe('string');
  expect(result.problem.length).toBeGreaterThan(0);
  expect(result.problem.length).toBeLessThan(400);
  // A problem quotes what was typed only in a shortened, backtick-free form.
  expect(result.problem).not.toMatch(/`[^`]{60,}`/);
  for (const u of result.usage) expect(u.startsWith('/fabric')).toBe(true);
}

describe('the command parser, fuzzed', () => {
  it('answers arbitrary strings without throwing', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), answeredClearly), { numRuns: RUNS });
  });

  it('answers arbitrary Unicode without throwing', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), answeredClearly), { numRuns: RUNS });
  });

  it('answers command-shaped input without throwing', () => {
    fc.assert(fc.property(commandLike, answeredClearly), { numRuns: RUNS });
  });

  it('quotes a long value it refuses only shortened (found by the fuzzer in a CI run)', () => {
    answeredClearly('help # # # # # # # # # 99999999999 register # # # renew chaincode');
    answeredClearly(`peers scale org1 ${'9'.repeat(70)}x`);
  });

  it('refuses oversized input with a message, at any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2001, max: 100_000 }), (n) => {
        const result = parseCommand(commands, `status ${'x'.repeat(n)}`, '/fabric');
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.problem).toContain('too long');
      }),
      { numRuns: 200 },
    );
  });

  it('parses every usage line it prints, once placeholders are filled in', () => {
    // Round trip: what help tells a person to type is accepted.
    const samples: Record<string, string> = {
      ORG: 'org1',
      NAME: 'peer-1',
      REPLICAS: '2',
      POD: 'org1-peer-0',
      VERSION: '1.0',
      ID: 'abc123def456',
      N: '3',
      COMMAND: 'status',
      SECONDS: '5',
      REASON: 'superseded',
      RESOURCE: 'qscc/GetBlockByNumber',
      POLICY: '/Channel/Application/Writers',
      PEERS: 'org1-peer-0.org1-peer.fabric.svc:7051 peer1.org1:7051',
      GROUP: 'application',
      LEVEL: 'V2_5',
      ACTION: 'remove',
      ORDERER: 'orderer1',
      ORGS: 'org1 org2',
    };
    for (const c of commands) {
      const required = (c.args ?? []).map((a) => samples[a.name] ?? 'x').join(' ');
      const text = `${c.path.join(' ')} ${required}`.trim();
      const result = parseCommand(commands, text, '/fabric');
      expect({ text, ok: result.ok, usage: usageOf('/fabric', c) }).toMatchObject({ text, ok: true });
    }
  });
});
