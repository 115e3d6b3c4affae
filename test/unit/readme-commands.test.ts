import { expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commands } from '../../src/bot/commands/index.js';
import { commandReference } from '../../src/bot/render/help.js';

/**
 * The README's command list is generated from the declarations in src/bot/commands/, so it cannot
 * drift from what the bot accepts. After changing a command, `npm run docs:commands`
 * (or this file alone) rewrites it.
 */
const README = path.resolve('README.md');
const START = '## Commands\n\n```\n';

it('lists every command exactly as the declarations say', () => {
  const text = readFileSync(README, 'utf8');
  const from = text.indexOf(START) + START.length;
  const to = text.indexOf('\n```', from);
  expect(from).toBeGreaterThan(START.length);
  const expected = commandReference('/fabric', commands);
  if (process.env.FCO_UPDATE_README === '1') {
    writeFileSync(README, text.slice(0, from) + expected + text.slice(to));
    return;
  }
  expect(text.slice(from, to)).toBe(expected);
});
