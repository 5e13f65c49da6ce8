/**
 * An applied migration is never edited: installs record each migration's checksum, and
 * `pgq verify` reports one applied from other SQL. Migration 3 builds its indexes and claim
 * function from postgres/migrations/objects.ts, so a later change there would silently change
 * migration 3's text; these pins make it fail here first (copy the old definition into the
 * migration, then change objects.ts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { MIGRATIONS } from '../../src/postgres/migrations/index.js';
import { schemaNames } from '../../src/postgres/schema-names.js';

const PINNED: Record<number, string> = {
  1: 'f1f7ad2fd5f9b1f34dec36a5ad1267cb5b328b0f97b66e087e41829852647af0',
  2: '5b300c39a9281cc81ffd57793b8162a0699605b4651b37702ebf23152d5e7267',
  3: '1d49253ef0aa4a4e3973f1c04b0744c3c6aa63063a1ecf1858169a10fc7aa506',
  4: 'b427f419658fefa793c617d69354ad61c59d4794da2d4f2958bde7e789b8387e',
  5: '05871c4688254ac1c8648811801ec40bab020a7f47b2e5b4dab98634bba553e4',
  6: 'b870a37f38410e0d49e56cf8a87b684113f4f2a2062a6bb63158549204308077',
  7: '95b08bf6c0219649d76beb7a5b50154b7ed0e7f54fcfb7093859e507c9e2f6a9',
  8: '23ed51ccb3ece70666c6af8f07ded324d8057385a8327a14b94c3de07ae02d7a',
};

test('every migration is the SQL it was released with', () => {
  for (const migration of MIGRATIONS) {
    const sum = createHash('sha256').update(migration.sql(schemaNames('pgqueuer'))).digest('hex');
    assert.equal(sum, PINNED[migration.version], `migration ${migration.version} (${migration.name}) changed; pin a new migration instead`);
  }
});
