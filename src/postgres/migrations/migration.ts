import type { SchemaNames } from '../schema-names.js';

/** One step of the schema's history. Applied in order, each in its own transaction, once. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: (names: SchemaNames) => string;
}
