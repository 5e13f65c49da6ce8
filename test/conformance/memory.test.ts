import { PgQueuer } from 'pgqueuer';
import { behaviours } from './behaviours.js';

behaviours({
  name: 'PgQueuer.inMemory()',
  open: async (options) => PgQueuer.inMemory(options),
});
