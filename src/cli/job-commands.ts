import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../errors.js';
import { JOB_STATUSES } from '../job-status.js';
import type { AnyJobStatus, JobSummary } from '../types.js';
import { integerAtLeast, jobIds } from './arguments.js';
import { ExitCode, withQueue, type GlobalOptions } from './context.js';
import { truncateCells } from './cell-width.js';
import { reportMissedJobs } from './missed-jobs.js';
import { schemaVersion } from './schema-version.js';
import { formatTable } from './table.js';
import { formatInstant, printable, visibleControls } from './terminal-text.js';


function status(value: string): AnyJobStatus {
  if (!JOB_STATUSES.includes(value as AnyJobStatus)) throw new InvalidArgumentError(`"${value}" is not a status (${JOB_STATUSES.join(', ')})`);
  return value as AnyJobStatus;
}

/** The first line of an error, as one table cell of at most 200 terminal cells. */
function errorCell(job: { error?: { name: string; message: string } }): string {
  return job.error ? truncateCells(printable(`${job.error.name}: ${job.error.message.split('\n')[0]!}`), ERROR_CELLS) : '';
}
const ERROR_CELLS = 200;

interface JobsOptions {
  entrypoint?: string;
  status?: AnyJobStatus;
  limit: number;
  after?: number;
  json?: boolean;
}

/** `pgq job`, `pgq jobs` (and `pgq failures`), `pgq requeue` (and `pgq retry`), `pgq delete`, `pgq clear`, `pgq pause`, `pgq resume`. */
export function registerJobCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('job')
    .description('one job, live or finished, with every attempt (exit 1 when there is none)')
    .argument('<id>', 'job id', (v: string) => jobIds(v)[0]!)
    .option('--json', 'print JSON instead of text')
    .action(async (id: number, opts: { json?: boolean }) => {
      const job = await withQueue(globals(), (pgq) => pgq.getJob(id));
      if (!job) {
        console.error(`pgq: no job ${id} (never enqueued, or finished and pruned)`);
        throw new ExitCode(1);
      }
      if (opts.json) {
        console.log(JSON.stringify(job, null, 2));
        return;
      }
      const facts: Array<[string, unknown]> = [
        ['job', job.id],
        ['entrypoint', printable(job.entrypoint)],
        ['status', job.status],
        ['priority', job.priority],
        ['attempts', job.attempts],
        ['created', formatInstant(job.createdAt)],
        ['runs after', job.executeAfter ? formatInstant(job.executeAfter) : '-'],
        ['requeued from', job.requeuedFrom ?? '-'],
        ['waits for', job.parents?.join(', ') ?? '-'],
        ['children', job.children.length === 0 ? '-' : job.children.join(', ')],
        ['version', schemaVersion(job.headers)],
        ['payload', job.payload === null ? '(not kept for successful jobs)' : printable(JSON.stringify(job.payload))],
        ['headers', job.headers === null ? '-' : printable(JSON.stringify(job.headers))],
        ['result', job.result === undefined ? '-' : printable(JSON.stringify(job.result))],
        ['error', errorCell(job) || '-'],
      ];
      console.log(formatTable(['field', 'value'], facts));
      console.log('');
      console.log(
        job.history.length === 0
          ? 'history: no attempt finished yet'
          : formatTable(
              ['attempt', 'status', 'started', 'finished', 'ms', 'worker', 'error'],
              job.history.map((h) => [
                h.attempt, h.status, h.startedAt ? formatInstant(h.startedAt) : '-', formatInstant(h.finishedAt),
                h.durationMs === null ? '-' : h.durationMs.toFixed(1), h.workerId ?? '-', errorCell(h),
              ]),
            ),
      );
    });

  const list = async (opts: JobsOptions): Promise<void> => {
    const page = await withQueue(globals(), (pgq) =>
      pgq.listJobs({ limit: opts.limit, ...(opts.entrypoint ? { entrypoint: opts.entrypoint } : {}), ...(opts.status ? { status: opts.status } : {}), ...(opts.after ? { after: opts.after } : {}) }),
    );
    if (opts.json) {
      console.log(JSON.stringify(page, null, 2));
      return;
    }
    if (page.jobs.length === 0) console.log('no jobs');
    else {
      console.log(
        formatTable(
          ['job', 'entrypoint', 'status', 'priority', 'attempts', 'created', 'version', 'error'],
          page.jobs.map((j: JobSummary) => [j.id, printable(j.entrypoint), j.status, j.priority, j.attempts, formatInstant(j.createdAt), schemaVersion(j.headers, true), errorCell(j)]),
        ),
      );
    }
    // Not part of the table: where scripts reading stdout will not trip over it.
    if (page.next !== null) console.error(`pgq: more jobs: pass --after ${page.next}`);
  };
  const listOptions = (command: Command) =>
    command
      .option('--entrypoint <name>', 'only jobs of this entrypoint')
      .option('--limit <n>', 'at most n jobs (up to 1000)', integerAtLeast(1), 50)
      .option('--after <id>', 'the page after this id (printed at the end of a page)', integerAtLeast(1))
      .option('--json', 'print JSON instead of a table');
  listOptions(
    program
      .command('jobs')
      .description('jobs newest first, live and finished: id, entrypoint, status, attempts, payload schema version, error')
      .option('--status <status>', `only jobs with this status (${JOB_STATUSES.join(', ')})`, status),
  ).action(list);
  // The name of earlier versions, kept: failed jobs.
  listOptions(program.command('failures').description('failed jobs, newest first (pgq jobs --status exception)')).action((opts: JobsOptions) =>
    list({ ...opts, status: 'exception' }),
  );

  program
    .command('requeue')
    .alias('retry')
    .description('run jobs again: a held job under its id, a failed or canceled one as a new job (exit 1 naming ids not requeued)')
    .argument('[id...]', 'job ids', jobIds)
    .option('--held', 'every held job (of --entrypoint, when given)')
    .option('--entrypoint <name>', 'with --held: only this entrypoint')
    .option('--json', 'print JSON instead of text')
    .action(async (ids: number[] = [], opts: { held?: boolean; entrypoint?: string; json?: boolean }) => {
      if (Boolean(opts.held) === ids.length > 0) throw new ConfigError('give job ids, or --held (with --entrypoint to pick one)');
      if (opts.entrypoint && !opts.held) throw new ConfigError('--entrypoint goes with --held');
      const wanted = [...new Set(ids)];
      const missed = await withQueue(globals(), async (pgq) => {
        const now = opts.held ? await pgq.requeue({ status: 'held', ...(opts.entrypoint ? { entrypoint: opts.entrypoint } : {}) }) : await pgq.requeue(wanted);
        // Which input each id stands for: the same id (a held job), or the job it was copied from.
        const requeued = await Promise.all(now.map(async (id) => ({ id: (await pgq.getJob(id))?.requeuedFrom ?? id, newId: id })));
        const notFound = wanted.filter((id) => !requeued.some((r) => r.id === id));
        if (opts.json) console.log(JSON.stringify({ requeued, notFound }, null, 2));
        else {
          console.log(`requeued ${requeued.length} job(s)${requeued.length ? ':' : ''}`);
          for (const r of requeued) console.log(`  ${r.id}${r.newId === r.id ? ' (held, same id)' : ` -> ${r.newId}`}`);
        }
        return reportMissedJobs(pgq, notFound, 'requeued');
      });
      if (missed) throw new ExitCode(1);
    });

  program
    .command('delete')
    .description('delete queued, scheduled or held jobs (running ones: pgq cancel; exit 1 naming ids not deleted)')
    .argument('<id...>', 'job ids', jobIds)
    .action(async (ids: number[]) => {
      const missed = await withQueue(globals(), async (pgq) => {
        const deleted = await pgq.deleteJobs(ids);
        console.log(`deleted ${deleted.length} job(s)${deleted.length ? `: ${deleted.join(', ')}` : ''}`);
        return reportMissedJobs(pgq, [...new Set(ids)].filter((id) => !deleted.includes(id)), 'deleted');
      });
      if (missed) throw new ExitCode(1);
    });

  program
    .command('clear')
    .description('delete every queued and scheduled job of an entrypoint, or of all (asks first)')
    .argument('[entrypoint]', 'only this entrypoint')
    .option('--yes', 'do not ask')
    .action(async (entrypoint: string | undefined, opts: { yes?: boolean }) => {
      await withQueue(globals(), async (pgq) => {
        const waiting = (await pgq.queueSize())
          .filter((r) => (r.status === 'queued' || r.status === 'scheduled') && (entrypoint === undefined || r.entrypoint === entrypoint))
          .reduce((n, r) => n + r.count, 0);
        const what = `${waiting} queued and scheduled job(s) of ${entrypoint === undefined ? 'every entrypoint' : `"${entrypoint}"`}`;
        if (!opts.yes) {
          if (!process.stdin.isTTY) throw new ConfigError(`clear would delete ${what}: pass --yes to confirm`);
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          const answer = await rl.question(visibleControls(`delete ${what}? [y/N] `));
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) {
            console.log('nothing deleted');
            return;
          }
        }
        console.log(`deleted ${await pgq.clear(entrypoint)} job(s)`);
      });
    });

  program
    .command('pause')
    .description('pause an entrypoint for every worker: its jobs wait (running ones finish)')
    .argument('<entrypoint>')
    .action(async (entrypoint: string) => {
      await withQueue(globals(), (pgq) => pgq.pause(entrypoint));
      console.log(visibleControls(`paused "${entrypoint}"`));
    });

  program
    .command('resume')
    .description('resume a paused entrypoint: workers claim its jobs at once')
    .argument('<entrypoint>')
    .action(async (entrypoint: string) => {
      await withQueue(globals(), (pgq) => pgq.resume(entrypoint));
      console.log(visibleControls(`resumed "${entrypoint}"`));
    });
}
