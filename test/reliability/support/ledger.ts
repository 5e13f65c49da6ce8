import type pg from 'pg';

/**
 * The ledger of a chaos run, in the spirit of Jepsen's queue checker: every enqueue the
 * producer attempted (by a unique key in the payload) with its outcome, and every execution of
 * a handler (recorded by the handler itself, in the database, before it returns), then a
 * classification of each key:
 *
 * - lost: the enqueue was acknowledged, yet the job never ran to a successful end;
 * - unexpected: a handler ran a key nobody enqueued (or whose enqueue definitely failed), a job
 *   ended other than successful though its handler always succeeds, or ended successful twice;
 * - duplicated: a job's handler ran more than once. Each extra run must be explained by the
 *   log: the earlier attempt is recorded `rescued` (its worker died or gave it back) or
 *   `retried` (it failed, e.g. its database vanished). Two runs of the same attempt, or an
 *   earlier run without such a record, is an unexplained duplicate: a bug.
 *
 * Enqueues that failed with an unknown outcome (the connection died around the commit) are
 * "indeterminate": they may or may not exist, so they count neither as lost nor as unexpected.
 */
export const LEDGER_SCHEMA = `
CREATE TABLE IF NOT EXISTS chaos_exec (
  k        text        NOT NULL,
  job_id   bigint      NOT NULL,
  attempt  integer     NOT NULL,
  worker   text        NOT NULL,
  done     boolean     NOT NULL DEFAULT false,
  at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS chaos_exec_job ON chaos_exec (job_id, attempt);
CREATE TABLE IF NOT EXISTS chaos_ticks (
  scheduled_at timestamptz NOT NULL,
  worker       text        NOT NULL,
  at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Each run of a flow's last job, and whether every parent had ended successfully by then.
CREATE TABLE IF NOT EXISTS chaos_flow (
  job_id     bigint      NOT NULL,
  attempt    integer     NOT NULL,
  parents_ok boolean     NOT NULL
);
`;

/** What a chaos handler writes first: this run of the job, by this worker. */
export async function recordRun(db: pg.Pool, job: { id: number; attempt: number; payload: unknown }, worker: string, done = false): Promise<void> {
  const { k } = job.payload as { k: string };
  await db.query('INSERT INTO chaos_exec (k, job_id, attempt, worker, done) VALUES ($1, $2, $3, $4, $5)', [k, job.id, job.attempt, worker, done]);
}

export type EnqueueOutcome = 'ok' | 'failed' | 'indeterminate';

export interface Verdict {
  enqueued: { ok: number; failed: number; indeterminate: number };
  executions: number;
  lost: string[];
  unexpected: string[];
  duplicated: number;
  /** Why each extra run happened, by the log status of the attempt that was run again. */
  explained: Record<string, number>;
  unexplained: string[];
  /** Attempts lost to a fault, by where the fault hit them (from the ledger and the log). */
  interruptedAttempts: { claimedNotStarted: number; midHandler: number; whileCompleting: number };
}

export class Ledger {
  private readonly outcomes = new Map<string, EnqueueOutcome>();

  note(key: string, outcome: EnqueueOutcome): void {
    this.outcomes.set(key, outcome);
  }

  acknowledged(): string[] {
    return [...this.outcomes].filter(([, o]) => o === 'ok').map(([k]) => k);
  }

  /** Reads the executions and the log, and classifies every key. */
  async verdict(db: pg.Pool | pg.Client, schema = 'pgqueuer'): Promise<Verdict> {
    const execs = (
      await db.query<{ k: string; job_id: string; attempt: number; worker: string; done: boolean }>(
        'SELECT k, job_id, attempt, worker, done FROM chaos_exec ORDER BY at',
      )
    ).rows;
    const log = (
      await db.query<{ job_id: string; attempt: number; status: string; k: string | null }>(
        `SELECT l.job_id, l.attempt, l.status, coalesce(l.payload->>'k', x.k) AS k
         FROM ${schema}.job_log AS l LEFT JOIN (SELECT DISTINCT job_id, k FROM chaos_exec) AS x ON x.job_id = l.job_id`,
      )
    ).rows;

    const runsByKey = group(execs, (e) => e.k);
    const logByJob = group(log, (l) => l.job_id);
    const finalsByKey = new Map<string, string[]>();
    for (const entry of log) {
      if (entry.k === null || entry.status === 'retried' || entry.status === 'rescued') continue;
      finalsByKey.set(entry.k, [...(finalsByKey.get(entry.k) ?? []), entry.status]);
    }

    const verdict: Verdict = {
      enqueued: { ok: 0, failed: 0, indeterminate: 0 },
      executions: execs.length,
      lost: [],
      unexpected: [],
      duplicated: 0,
      explained: {},
      unexplained: [],
      interruptedAttempts: { claimedNotStarted: 0, midHandler: 0, whileCompleting: 0 },
    };
    for (const outcome of this.outcomes.values()) verdict.enqueued[outcome]++;

    for (const [key, outcome] of this.outcomes) {
      const finals = finalsByKey.get(key) ?? [];
      if (outcome === 'ok' && !finals.includes('successful')) verdict.lost.push(key);
    }
    for (const [key, finals] of finalsByKey) {
      if (finals.length > 1 || finals[0] !== 'successful') verdict.unexpected.push(`${key}: ended ${finals.join(', ')}`);
    }
    for (const [key, runs] of runsByKey) {
      const outcome = this.outcomes.get(key);
      if (outcome === undefined || outcome === 'failed') verdict.unexpected.push(`${key}: ran, but its enqueue ${outcome ?? 'never happened'}`);
      if (runs.length < 2) continue;
      verdict.duplicated += runs.length - 1;
      const entries = logByJob.get(runs[0]!.job_id) ?? [];
      const seenAttempts = new Set<number>();
      for (const [i, run] of runs.entries()) {
        if (seenAttempts.has(run.attempt)) {
          verdict.unexplained.push(`${key}: attempt ${run.attempt} ran twice (${runs.map((r) => `${r.worker}#${r.attempt}`).join(', ')})`);
          continue;
        }
        seenAttempts.add(run.attempt);
        if (i === runs.length - 1) continue;
        const why = entries.find((e) => e.attempt === run.attempt && (e.status === 'rescued' || e.status === 'retried'));
        if (why) verdict.explained[why.status] = (verdict.explained[why.status] ?? 0) + 1;
        else verdict.unexplained.push(`${key}: run of attempt ${run.attempt} by ${run.worker} was repeated with no rescue or retry recorded`);
      }
    }

    // Where faults hit: every attempt logged `rescued` was interrupted; the ledger tells whether
    // its handler had not started, was running, or had finished (its outcome not yet written).
    const execByAttempt = new Map(execs.map((e) => [`${e.job_id}:${e.attempt}`, e]));
    for (const entry of log) {
      if (entry.status !== 'rescued') continue;
      const run = execByAttempt.get(`${entry.job_id}:${entry.attempt}`);
      if (!run) verdict.interruptedAttempts.claimedNotStarted++;
      else if (!run.done) verdict.interruptedAttempts.midHandler++;
      else verdict.interruptedAttempts.whileCompleting++;
    }
    return verdict;
  }
}

function group<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** A seeded PRNG (mulberry32), so a failing run can be replayed with CHAOS_SEED. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The seed of this run: CHAOS_SEED, or the scenario's fixed default. */
export function seedFor(defaultSeed: number): number {
  return process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : defaultSeed;
}
