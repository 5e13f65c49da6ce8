import type { Command } from 'commander';
import { verify, withOperator } from '../admin.js';
import { ConfigError } from '../errors.js';
import { consoleLogger } from '../logger.js';
import { PgQueuer } from '../pgqueuer.js';
import { connectionOf, schemaOf, type GlobalOptions } from './context.js';
import { DEFAULT_MANIFEST, readManifest, type Manifest } from './manifest.js';
import { packageVersion } from './package-version.js';
import { loadJobsSchema } from './schema-check-command.js';
import { checkWaitingPayloads } from '../schema/waiting-payloads.js';

interface McpCliOptions {
  allowEnqueue?: boolean;
  manifest: string;
  config?: string;
  schema?: string;
}

/**
 * A query stuck on a dead network fails the tool call after this long instead of leaving the
 * assistant waiting on the OS's TCP timeout.
 */
const QUERY_TIMEOUT_MS = 15_000;

/** The manifest's jobs for `--allow-enqueue`; without the manifest there is nothing to offer. */
function enqueueManifest(path: string): Manifest {
  const manifest = path ? readManifest(path) : undefined;
  if (!manifest) throw new ConfigError(`--allow-enqueue needs the manifest \`pgq generate\` writes: ${path || '(none given)'} not found (pass --manifest <path>)`);
  return manifest;
}

export function registerMcpCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('mcp')
    .description('serve MCP on stdio for AI assistants: read-only queue tools, and enqueue tools with --allow-enqueue')
    .option('--allow-enqueue', 'add an enqueue_<job> tool for each job of the manifest (off: the server only reads)')
    .option('--manifest <path>', 'the manifest `pgq generate` wrote, for --allow-enqueue', DEFAULT_MANIFEST)
    .option('--config <path>', 'config file naming the schema file, for the schema_check tool (default: pgq.config.ts, if any)')
    .option('--schema <path>', 'schema file, for the schema_check tool (default: src/jobs.schema.ts)')
    .addHelpText('after', '\nstdout carries the MCP protocol; logs go to stderr. Needs the "@modelcontextprotocol/sdk" package.')
    .action(async (opts: McpCliOptions) => {
      // Read before connecting: a missing manifest is a mistake in the command line, not in the database.
      const enqueue = opts.allowEnqueue ? enqueueManifest(opts.manifest) : undefined;
      // Loaded only here: nothing else in pgqueuer imports the MCP server or its SDK.
      const { serveMcp } = await import('../mcp/serve.js');
      const logger = consoleLogger('info');
      const url = connectionOf(globals());
      // Named so a DBA sees the assistant's sessions for what they are (pg_stat_activity);
      // without a URL, pg reads the PG* variables.
      const connection = { ...(url ? { connectionString: url } : {}), application_name: 'pgqueuer-mcp' };
      const schema = schemaOf(globals());
      await withOperator(connection, { schema, queryTimeoutMs: QUERY_TIMEOUT_MS }, async (operator) => {
        // Few connections: an assistant's calls come one or two at a time.
        const pgq = await PgQueuer.connect({ ...connection, max: 3, query_timeout: QUERY_TIMEOUT_MS }, { schema, logger });
        try {
          // The schema file is loaded when the tool is first called: a project without one still gets every other tool.
          let jobs: ReturnType<typeof loadJobsSchema> | undefined;
          const schemaCheck = async (bounds: { sample: number; countCap: number }) =>
            checkWaitingPayloads(
              pgq,
              await (jobs ??= loadJobsSchema(opts).catch((err: unknown) => {
                jobs = undefined; // not found now; maybe on the next call
                throw err;
              })),
              bounds,
            );
          await serveMcp({ pgq, operator, verify: () => verify(connection, { schema }), schemaCheck }, { version: packageVersion(), logger, ...(enqueue ? { enqueue } : {}) });
        } finally {
          await pgq.stop();
        }
      });
    });
}
