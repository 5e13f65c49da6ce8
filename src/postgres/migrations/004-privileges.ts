import type { SchemaNames } from '../schema-names.js';
import type { Migration } from './migration.js';
import { schemaObject } from './objects.js';

/**
 * Least privilege: cancel becomes `cancel_jobs(bigint[])`, a SECURITY DEFINER function owned
 * by the installer, so a producer role can cancel without reading the payloads a cancel
 * copies into the log. Only roles granted EXECUTE (`pgq grant`) may call it.
 */
export const privileges: Migration = {
  version: 4,
  name: 'privileges',
  sql: (n: SchemaNames) => `
${schemaObject(n, 'cancel_jobs')}
`,
};
