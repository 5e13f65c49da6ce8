import { after, before } from 'node:test';
import type { PgQueuer } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { openQueue } from './queue.js';

/**
 * The test file's database and a producer on it. Each test file runs in a process of its own,
 * so these bindings belong to one file; they are set by the hooks `useFileDatabase()` adds.
 */
export let db: TestDatabase;
export let producer: PgQueuer;

/** Call once at the top of a test file: a database of its own for all its tests, dropped after. */
export function useFileDatabase(): void {
  before(async () => {
    db = await createTestDatabase();
    producer = await openQueue(db.url);
  });
  after(async () => {
    await producer.stop();
    await db.drop();
  });
}
