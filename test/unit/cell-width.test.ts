import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cellWidth, padCells, truncateCells } from '../../src/cli/cell-width.js';
import { formatTable } from '../../src/cli/table.js';
import { fitWidth } from '../../src/cli/terminal-text.js';

const WIDTHS: Array<[what: string, text: string, cells: number]> = [
  ['empty', '', 0],
  ['ASCII', 'timeout after 30s', 17],
  ['Latin with precomposed accents', 'café ünïcode', 12],
  ['a combining acute accent takes no cell', 'cafe\u0301', 4],
  ['Greek and Cyrillic are narrow', 'αβγ где', 7],
  ['CJK ideographs', '数据库连接失败', 14],
  ['Japanese kana', 'タイムアウト', 12],
  ['Hangul syllables', '연결 실패', 9],
  ['Hangul built from conjoining Jamo', '\u1100\u1161\u11a8', 2],
  ['fullwidth Latin', 'ＡＢＣ', 6],
  ['ideographic space and punctuation', '\u3000。', 4],
  ['halfwidth katakana stay narrow', 'ｶﾀｶﾅ', 4],
  ['an emoji', '🔥', 2],
  ['emoji with a skin tone modifier', '👍🏽', 2],
  ['a ZWJ family sequence is one emoji', '👨‍👩‍👧‍👦', 2],
  ['a flag from two regional indicators', '🇳🇱', 2],
  ['a text symbol asked to be an emoji (VS16)', '❤️', 2],
  ['a keycap sequence', '1️⃣', 2],
  ['a text-presentation symbol', '❤', 1],
  ['zero-width space, joiner and BOM', 'a\u200bb\u200d\ufeff', 2],
  ['a variation selector alone', '\ufe0e', 0],
  ['a lone combining mark', '\u0301', 0],
  ['mixed', 'E: 数据 🔥 ok', 13],
  ['CJK extension B (astral plane)', '𠀋𠀌', 4],
];

describe('cellWidth', () => {
  for (const [what, text, cells] of WIDTHS) {
    test(`${what}: ${JSON.stringify(text)} is ${cells} cells`, () => {
      assert.equal(cellWidth(text), cells);
    });
  }
});

describe('truncateCells and padCells', () => {
  const CUTS: Array<[text: string, width: number, expected: string]> = [
    ['abcdef', 3, 'abc'],
    ['数据库', 4, '数据'],
    // A wide character that would straddle the edge is left out.
    ['数据库', 5, '数据'],
    ['a🔥b', 2, 'a'],
    ['a🔥b', 3, 'a🔥'],
    // Never between an emoji and its modifier or inside a ZWJ sequence.
    ['👍🏽👍🏽', 3, '👍🏽'],
    ['x👨‍👩‍👧', 2, 'x'],
    ['x👨‍👩‍👧', 3, 'x👨‍👩‍👧'],
    // A combining mark stays with its letter.
    ['cafe\u0301s', 4, 'cafe\u0301'],
    ['short', 10, 'short'],
    ['abc', 0, ''],
  ];
  for (const [text, width, expected] of CUTS) {
    test(`${JSON.stringify(text)} cut to ${width} cells is ${JSON.stringify(expected)}`, () => {
      const cut = truncateCells(text, width);
      assert.equal(cut, expected);
      assert.ok(cellWidth(cut) <= width);
      assert.doesNotMatch(cut, /[\ud800-\udbff]$/, 'no lone high surrogate at the end');
    });
  }

  test('padCells pads to cells, not UTF-16 units', () => {
    assert.equal(padCells('数据', 6), '数据  ');
    assert.equal(padCells('🔥', 3), '🔥 ');
    assert.equal(padCells('toolong', 3), 'toolong');
  });

  test('fitWidth cuts lines by cells', () => {
    assert.equal(fitWidth('任务失败了', 5), '任务');
    assert.equal(fitWidth('任务失败了', undefined), '任务失败了');
  });

  test('formatTable aligns columns holding CJK and emoji', () => {
    const table = formatTable(['entrypoint', 'error'], [['发送邮件', 'x'], ['🔥', 'y'], ['plain', 'z']]);
    const rows = table.split('\n');
    assert.deepEqual(rows.map(cellWidth), [17, 13, 13, 13]);
    // The second column starts in the same cell on every row.
    for (const row of rows.slice(1)) assert.equal(cellWidth(row.slice(0, -1)), 12, row);
  });
});
