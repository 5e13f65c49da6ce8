import type { Command } from 'commander';
import { ExitCode, withQueue, type GlobalOptions } from './context.js';
import { reportMissedJobs } from './missed-jobs.js';
import { jobIds } from './arguments.js';
import { formatTable } from './table.js';

export function registerQueueCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('queue')
    .description('count live jobs per entrypoint, status and priority')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withQueue(globals(), (pgq) => pgq.queueSize());
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
      } else if (rows.length === 0) {
        console.log('the queue is empty');
      } else {
        // The paused column only when something is paused: most of the time it would be empty.
        const paused = rows.some((r) => r.paused);
        const headers = ['entrypoint', 'status', 'priority', 'count', ...(paused ? ['paused'] : [])];
        console.log(formatTable(headers, rows.map((r) => [r.entrypoint, r.status, r.priority, r.count, ...(paused ? [r.paused ? 'paused' : ''] : [])])));
      }
    });

  program
    .command('schedules')
    .description('list cron schedules: expression, timezone, last and next run')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withQueue(globals(), (pgq) => pgq.listSchedules());
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
      } else if (rows.length === 0) {
        console.log('no schedules');
      } else {
        const iso = (d: Date | null) => (d ? d.toISOString() : '-');
        console.log(
          formatTable(
            ['name', 'expression', 'timezone', 'last run', 'next run', 'missed'],
            rows.map((r) => [r.name, r.expression, r.timezone, iso(r.lastRun), iso(r.nextRun), r.missed]),
          ),
        );
      }
    });

  program
    .command('cancel')
    .description('cancel jobs: queued ones are removed, running ones are told to abort (exit 1 naming ids not canceled)')
    .argument('<id...>', 'job ids', jobIds)
    .action(async (ids: number[]) => {
      const missed = await withQueue(globals(), async (pgq) => {
        const found = await pgq.cancel(ids);
        console.log(`canceled ${found.length} job(s)${found.length ? `: ${found.join(', ')}` : ''}`);
        return reportMissedJobs(pgq, [...new Set(ids)].filter((id) => !found.includes(id)), 'canceled');
      });
      if (missed) throw new ExitCode(1);
    });
}
