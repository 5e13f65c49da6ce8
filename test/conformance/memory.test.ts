import { PgQueuer } from 'pgqueuer';
import { behaviours } from './behaviours.js';
import { dependencies } from './dependencies.js';
import { lifecycle } from './lifecycle.js';

behaviours({
  name: 'PgQueuer.inMemory()',
  open: async (options) => PgQueuer.inMemory(options),
});

lifecycle({ name: 'PgQueuer.inMemory()', open: async (options) => PgQueuer.inMemory(options) });

dependencies({ name: 'PgQueuer.inMemory()', open: async (options) => PgQueuer.inMemory(options) });
