import { PgQueuer } from 'pgqueuer';
import { behaviours } from './behaviours.js';
import { dependencies } from './dependencies.js';
import { groups } from './groups.js';
import { lifecycle } from './lifecycle.js';
import { payloadVersions } from './payload-versions.js';

behaviours({
  name: 'PgQueuer.inMemory()',
  open: async (options) => PgQueuer.inMemory(options),
});

lifecycle({ name: 'PgQueuer.inMemory()', open: async (options) => PgQueuer.inMemory(options) });

dependencies({ name: 'PgQueuer.inMemory()', open: async (options) => PgQueuer.inMemory(options) });
payloadVersions({ name: 'PgQueuer.inMemory()', open: async (options) => PgQueuer.inMemory(options) });

groups({ name: 'PgQueuer.inMemory()', open: async (options) => PgQueuer.inMemory(options) });
