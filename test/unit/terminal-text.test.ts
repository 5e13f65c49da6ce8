import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatTable } from '../../src/cli/table.js';
import { visibleControls, visibleLines } from '../../src/cli/terminal-text.js';

describe('terminal text', () => {
  test('visibleControls shows every control character escaped, on one line', () => {
    assert.equal(visibleControls('app\r'), 'app\\r');
    assert.equal(visibleControls('a\nb\tc\u001b[2J\u0007\u007f\u009b'), 'a\\nb\\tc\\x1b[2J\\x07\\x7f\\x9b');
    assert.equal(visibleControls('plain, ünïcode ✓'), 'plain, ünïcode ✓');
  });

  test('visibleLines keeps the newlines', () => {
    assert.equal(visibleLines('error: \u001b[31m\nusage'), 'error: \\x1b[31m\nusage');
  });

  test('formatTable keeps each row on its line whatever its cells hold', () => {
    assert.equal(formatTable(['name', 'n'], [['evil\n\u001b[31mred', 1], ['ok', 2]]), 'name           n\nevil  [31mred  1\nok             2');
  });
});
