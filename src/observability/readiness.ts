import type { HealthReport } from '../types.js';

/** What a worker reports of itself, for readiness to be judged on. */
export interface WorkerHealth {
  state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';
  /** Starting, and waiting for a database it cannot reach (startupRetryMs). */
  startupWaitingOn?: Error;
  /** The notification listener is connected and LISTENing. */
  listening: boolean;
  /** The worker's latest query (a claim or a heartbeat) failed with this. */
  databaseError?: Error;
}

/**
 * Whether an orchestrator should send this process work (`/readyz`): its worker started and is
 * claiming, it hears notifications, and its latest claim or heartbeat reached the database.
 * Pure, so each reason can be tested on its own.
 */
export function judgeReadiness(health: WorkerHealth | undefined): HealthReport {
  if (!health) return { ready: false, state: 'idle', checks: { claiming: false, listening: false, database: false }, reason: 'the worker is not running (run() was not called)' };
  const claiming = health.state === 'running';
  const database = health.databaseError === undefined && health.startupWaitingOn === undefined;
  const checks = { claiming, listening: health.listening, database };
  const report: HealthReport = { ready: claiming && health.listening && database, state: health.state, checks };
  const reason = !claiming
    ? health.startupWaitingOn
      ? `starting: waiting for the database (${health.startupWaitingOn.message})`
      : `the worker is ${health.state}`
    : !database
      ? `the database does not answer (${health.databaseError?.message ?? 'unknown error'})`
      : !health.listening
        ? 'the notification listener is down (reconnecting; polling meanwhile)'
        : undefined;
  if (reason) report.reason = reason;
  return report;
}
