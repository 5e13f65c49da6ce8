import type { Command } from 'commander';
import { withOperator } from '../admin.js';
import { integerAtLeast, jobIds } from './arguments.js';
import { connectionOf, schemaOf, type GlobalOptions } from './context.js';
import { formatTable } from './table.js';
import { printable } from './terminal-text.js';

interface FailuresOptions {
  limit: number;
  entrypoint?: string;
  scan: number;
  json?: boolean;
}

export function registerFailureCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('failures')
    .description('recent failed jobs, newest first: id, entrypoint, attempt, when, and the first line of the error')
    .option('--limit <n>', 'show at most n failures', integerAtLeast(1), 20)
    .option('--entrypoint <name>', 'only failures of this entrypoint')
    .option('--scan <n>', 'search the newest n log entries (bounds the cost on a large log)', integerAtLeast(1), 100_000)
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: FailuresOptions) => {
      const { failures, scanned } = await withOperator(connectionOf(globals()), { schema: schemaOf(globals()) }, (operator) =>
        operator.recentFailures({ limit: opts.limit, entrypoint: opts.entrypoint ?? null, scan: opts.scan }),
      );
      if (opts.json) {
        console.log(
          JSON.stringify(
            failures.map((f) => ({
              id: f.jobId, entrypoint: f.entrypoint, attempt: f.attempt, finishedAt: f.finishedAt,
              error: { name: f.errorName, message: f.errorMessage },
            })),
            null,
            2,
          ),
        );
      } else if (failures.length === 0) {
        console.log('no failures');
      } else {
        console.log(
          formatTable(
            ['job', 'entrypoint', 'attempt', 'finished at', 'error'],
            failures.map((f) => [f.jobId, printable(f.entrypoint), f.attempt, f.finishedAt.toISOString(), printable(`${f.errorName}: ${f.errorMessage}`)]),
          ),
        );
      }
      if (failures.length < opts.limit && scanned >= opts.scan) {
        // Not an error, but the answer may be incomplete: say so where scripts won't parse it.
        console.error(`pgq: searched only the newest ${opts.scan} log entries; pass a larger --scan to look further back`);
      }
    });

  program
    .command('retry')
    .description('enqueue failed or canceled jobs again: one new job each, same entrypoint, payload, headers and priority')
    .argument('<id...>', 'ids of failed or canceled jobs', jobIds)
    .option('--json', 'print JSON instead of text')
    .addHelpText(
      'after',
      '\nThe payload and headers come from the job\'s last log entry. A dedupe key is not kept, so the new\n' +
        'job has none. Retrying the same id twice enqueues it twice.',
    )
    .action(async (ids: number[], opts: { json?: boolean }) => {
      const wanted = [...new Set(ids)];
      const retried = await withOperator(connectionOf(globals()), { schema: schemaOf(globals()) }, (operator) => operator.retryFailed(wanted));
      const found = new Set(retried.map((r) => r.id));
      const notFound = wanted.filter((id) => !found.has(id));
      if (opts.json) {
        console.log(JSON.stringify({ retried, notFound }, null, 2));
        return;
      }
      console.log(`retried ${retried.length} job(s)${retried.length ? ':' : ''}`);
      for (const r of retried) console.log(`  ${r.id} -> ${r.newId}`);
      if (notFound.length) console.log(`not found among failed or canceled jobs: ${notFound.join(', ')}`);
    });
}
