import { describe, expect, it } from '@jest/globals';
import { validateBlocks } from './block-kit.js';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (over: Record<string, unknown> = {}) => ({
  type: 'button',
  action_id: 'a',
  text: { type: 'plain_text', text: 'Go' },
  value: 'v',
  ...over,
});

// Each case is one of the limits Slack documents; the emulator refuses a message that breaks one.
describe('Block Kit limits the emulator enforces', () => {
  it.each([
    ['more than 50 blocks', Array.from({ length: 51 }, () => section('x')), '/blocks'],
    ['section text over 3000 characters', [section('x'.repeat(3001))], '/blocks/0/text/text'],
    [
      'more than 25 elements in an actions block',
      [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })) }],
      '/blocks/0/elements',
    ],
    [
      'a button value over 2000 characters',
      [{ type: 'actions', elements: [button({ value: 'v'.repeat(2001) })] }],
      '/blocks/0/elements/0/value',
    ],
    [
      'an action_id over 255 characters',
      [{ type: 'actions', elements: [button({ action_id: 'a'.repeat(256) })] }],
      '/blocks/0/elements/0/action_id',
    ],
    ['an unknown block type', [{ type: 'banner' }], '/blocks/0/type'],
    [
      'a duplicate block_id',
      [
        { ...section('a'), block_id: 'b' },
        { ...section('b'), block_id: 'b' },
      ],
      '/blocks/1/block_id',
    ],
  ])('refuses %s', (_name, blocks, pointer) => {
    const errors = validateBlocks(blocks);
    expect(errors.some((e) => e.endsWith(`[json-pointer:${pointer}]`))).toBe(true);
  });

  it('accepts blocks right at the limits', () => {
    const blocks = [
      ...Array.from({ length: 48 }, () => section('x')),
      section('x'.repeat(3000)),
      {
        type: 'actions',
        elements: Array.from({ length: 25 }, (_, i) => button({ action_id: `${'a'.repeat(250)}${i}`, value: 'v'.repeat(2000) })),
      },
    ];
    expect(validateBlocks(blocks)).toEqual([]);
  });
});
