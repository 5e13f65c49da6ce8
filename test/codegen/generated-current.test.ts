/**
 * The committed generated clients (the example app's and the behaviour suite's fixture) are
 * what `pgq generate` writes from their schema files today: a change to the generator or the
 * templates that is not regenerated fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPgq } from '../support/pgq-cli.js';

for (const config of ['examples/shop/pgq.config.ts', 'test/conformance/fixture/pgq.config.ts']) {
  test(`${config}: generated files are current`, async () => {
    const { code, stdout, stderr } = await runPgq('', ['generate', '--check', '--config', config]);
    assert.equal(code, 0, `${stdout}${stderr}`);
    assert.match(stdout, /generated files are up to date/);
  });
}
