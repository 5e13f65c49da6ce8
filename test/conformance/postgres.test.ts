import { after, before } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openQueue } from '../support/queue.js';
import { behaviours } from './behaviours.js';
import { dependencies } from './dependencies.js';
import { groups } from './groups.js';
import { lifecycle } from './lifecycle.js';
import { payloadVersions } from './payload-versions.js';

let db: TestDatabase;
let schemas = 0;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

behaviours({
  name: 'PostgreSQL',
  // A schema of its own per test: a fresh, empty queue.
  open: (options) => openQueue(db.url, { ...options, schema: `conformance_${++schemas}` }),
});

lifecycle({
  name: 'PostgreSQL',
  open: (options) => openQueue(db.url, { ...options, schema: `conformance_${++schemas}` }),
});

dependencies({
  name: 'PostgreSQL',
  open: (options) => openQueue(db.url, { ...options, schema: `conformance_${++schemas}` }),
});

payloadVersions({
  name: 'PostgreSQL',
  open: (options) => openQueue(db.url, { ...options, schema: `conformance_${++schemas}` }),
});

groups({ name: 'PostgreSQL', open: (options) => openQueue(db.url, { ...options, schema: `conformance_${++schemas}` }) });
