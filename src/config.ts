/** `pgq.config.ts`: where `pgq generate` reads the schema and writes its output. Paths are relative to the config file. */
export interface PgqConfig {
  /** The schema file (default export `defineJobs({...})`). Default "src/jobs.schema.ts". */
  schema?: string;
  /** The generated client. Default "src/pgq.generated.ts"; the manifest goes beside it. */
  out?: string;
  /** Folder of handler stubs (created when missing, never overwritten). Default "src/handlers". */
  handlers?: string;
  /** Module the generated code imports pgqueuer from. Default "pgqueuer". */
  importFrom?: string;
}

/** Identity, for type checking a `pgq.config.ts`. */
export function defineConfig(config: PgqConfig): PgqConfig {
  return config;
}
