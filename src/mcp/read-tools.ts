import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { PgOperator } from '../admin.js';
import { JOB_STATUSES } from '../job-status.js';
import type { PgQueuer } from '../pgqueuer.js';
import type { AnyJobStatus, VerifyReport } from '../types.js';
import type { WaitingPayloadsReport } from '../schema/waiting-payloads.js';
import { answer, jsonResult, toolError } from './tool-result.js';

/** What the read-only tools read from: the facade for the queue API, the operator for the log and workers. */
export interface QueueReaders {
  pgq: PgQueuer;
  operator: PgOperator;
  /** `pgq verify` on the same database and schema. */
  verify(): Promise<VerifyReport>;
  /** `pgq schema check` with the project's schema file: would its workers run the waiting jobs? */
  schemaCheck(bounds: { sample: number; countCap: number }): Promise<WaitingPayloadsReport>;
}

/**
 * Bounds that keep each call cheap on a production queue of millions of jobs, whatever the
 * assistant asks for: the same kind of caps as the terminal dashboard's.
 */
const FAILURE_SCAN = 10_000;
const MAX_ENTRYPOINTS = 100;
const MAX_LIST = 100;

// Every tool here only reads: clients may run them without asking the user each time.
const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

const statusEnum = z.enum(JOB_STATUSES as [AnyJobStatus, ...AnyJobStatus[]]);
const entrypointFilter = z.string().min(1).optional().describe('only this entrypoint');

/** Registers the read-only tools: safe on a production queue, nothing in them writes. */
export function registerReadTools(server: McpServer, readers: QueueReaders): void {
  const { pgq, operator } = readers;

  server.registerTool(
    'queue_size',
    {
      description: 'Live jobs (scheduled, queued, picked = running, held) counted per entrypoint and status, summed over priorities. Paused entrypoints are marked.',
      inputSchema: { entrypoint: entrypointFilter },
      annotations: READ_ONLY,
    },
    ({ entrypoint }) =>
      answer(async () => {
        const counts = new Map<string, { entrypoint: string; status: string; count: number; paused?: true }>();
        for (const row of await pgq.queueSize()) {
          if (entrypoint !== undefined && row.entrypoint !== entrypoint) continue;
          const key = `${row.entrypoint}\u0000${row.status}`;
          const entry = counts.get(key) ?? { entrypoint: row.entrypoint, status: row.status, count: 0, ...(row.paused ? { paused: true as const } : {}) };
          entry.count += row.count;
          counts.set(key, entry);
        }
        const rows = [...counts.values()];
        return jsonResult({ total: rows.reduce((n, r) => n + r.count, 0), rows });
      }),
  );

  server.registerTool(
    'get_job',
    {
      description: 'One job by id, live or finished: status, payload, headers, result or error, and every attempt (status, times, duration, worker, error with stack).',
      inputSchema: { id: z.number().int().positive().describe('the job id') },
      annotations: READ_ONLY,
    },
    ({ id }) =>
      answer(async () => {
        const job = await pgq.getJob(id);
        return job ? jsonResult(job) : toolError(`no job ${id} (never enqueued, or finished and pruned by retention)`);
      }),
  );

  server.registerTool(
    'list_jobs',
    {
      description: `Jobs newest first, live and finished, filtered by entrypoint and status (${JOB_STATUSES.join(', ')}); pass "next" back as "after" for the following page.`,
      inputSchema: {
        entrypoint: entrypointFilter,
        status: statusEnum.optional().describe('only jobs with this status'),
        limit: z.number().int().min(1).max(MAX_LIST).default(20),
        after: z.number().int().positive().optional().describe('the "next" of the previous page'),
      },
      annotations: READ_ONLY,
    },
    ({ entrypoint, status, limit, after }) =>
      answer(async () =>
        jsonResult(await pgq.listJobs({ limit, ...(entrypoint ? { entrypoint } : {}), ...(status ? { status } : {}), ...(after ? { after } : {}) })),
      ),
  );

  server.registerTool(
    'recent_failures',
    {
      description: `Failed attempts that ended the job (status exception), newest first, with the first line of each error. Looks through the newest ${FAILURE_SCAN} log entries only; use get_job for a full error and stack.`,
      inputSchema: { limit: z.number().int().min(1).max(MAX_LIST).default(20), entrypoint: entrypointFilter },
      annotations: READ_ONLY,
    },
    ({ limit, entrypoint }) =>
      answer(async () => {
        const { failures, scanned } = await operator.recentFailures({ limit, entrypoint: entrypoint ?? null, scan: FAILURE_SCAN });
        // Says when the search stopped short, so "no failures" is not read as "none ever".
        return jsonResult({ failures, searchedLogEntries: scanned, ...(scanned >= FAILURE_SCAN ? { olderEntriesNotSearched: true } : {}) });
      }),
  );

  server.registerTool(
    'throughput',
    {
      description: 'Jobs finished (successful, failed or canceled) and failed per entrypoint over the last windowMinutes, as totals and per minute.',
      inputSchema: { windowMinutes: z.number().int().min(1).max(24 * 60).default(60), entrypoint: entrypointFilter },
      annotations: READ_ONLY,
    },
    ({ windowMinutes, entrypoint }) =>
      answer(async () => {
        const rows = await operator.throughput(windowMinutes * 60, MAX_ENTRYPOINTS);
        const perMinute = (n: number) => Math.round((n / windowMinutes) * 100) / 100;
        return jsonResult({
          windowMinutes,
          entrypoints: rows
            .filter((r) => entrypoint === undefined || r.entrypoint === entrypoint)
            .map((r) => ({ entrypoint: r.entrypoint, finished: r.finished, failed: r.failed, finishedPerMinute: perMinute(r.finished), failedPerMinute: perMinute(r.failed) })),
        });
      }),
  );

  server.registerTool(
    'workers',
    {
      description: 'Registered workers, freshest heartbeat first: host, pid, entrypoints, start time, heartbeat age. A crashed worker keeps its row for a while: stale marks heartbeats older than staleAfterSeconds.',
      inputSchema: { staleAfterSeconds: z.number().int().min(1).default(30), limit: z.number().int().min(1).max(MAX_LIST).default(50) },
      annotations: READ_ONLY,
    },
    ({ staleAfterSeconds, limit }) =>
      answer(async () => {
        const { workers, total } = await operator.workers(limit);
        return jsonResult({
          total,
          workers: workers.map((w) => ({ ...w, heartbeatAgeSeconds: Math.round(w.heartbeatAgeSeconds), stale: w.heartbeatAgeSeconds > staleAfterSeconds })),
        });
      }),
  );

  server.registerTool(
    'schedules',
    {
      description: 'Cron schedules in the database: name, expression, timezone, missed-tick policy, last and next run.',
      annotations: READ_ONLY,
    },
    () => answer(async () => jsonResult(await pgq.listSchedules())),
  );

  server.registerTool(
    'paused_entrypoints',
    {
      description: 'Entrypoints paused (pgq pause): their jobs wait, unclaimed, until resumed.',
      annotations: READ_ONLY,
    },
    () => answer(async () => jsonResult(await pgq.pausedEntrypoints())),
  );

  server.registerTool(
    'verify_schema',
    {
      description: "Checks that pgqueuer's database schema is installed, up to date and complete (pgq verify), naming each problem.",
      annotations: READ_ONLY,
    },
    () => answer(async () => jsonResult(await readers.verify())),
  );

  server.registerTool(
    'schema_check',
    {
      description:
        "Would workers built with the project's schema file run the jobs waiting now (pgq schema check)? Counts waiting jobs per payload version and parses those of other versions (after upcasting), reporting how many would fail with the first few issues. Run it before deploying workers with a changed schema.",
      inputSchema: {
        sample: z.number().int().min(1).max(1_000).default(100).describe('payloads parsed per job and version at most'),
        cap: z.number().int().min(1).max(100_000).default(10_000).describe('waiting jobs counted per job at most'),
      },
      annotations: READ_ONLY,
    },
    ({ sample, cap }) => answer(async () => jsonResult(await readers.schemaCheck({ sample, countCap: cap }))),
  );
}
