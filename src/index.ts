export { PgQueuer, type PgQueuerOptions, type RunOptions } from './pgqueuer.js';
export type { WorkerOptions } from './worker/queue-manager.js';
export type {
  EnqueueManyItem,
  EnqueueOptions,
  EntrypointOptions,
  FinalStatus,
  Job,
  JobContext,
  JobHandler,
  JobHeaders,
  JobStatus,
  QueueSizeRow,
  RateLimit,
  RetryPolicy,
  TransactionClient,
} from './job.js';
export {
  ConfigError,
  ConnectionError,
  DuplicateJobError,
  JobAbandonedSignal,
  JobCanceledSignal,
  PayloadError,
  PermanentJobError,
  PgQueuerError,
  SchemaNotInstalledError,
  SchemaVersionError,
  StateError,
} from './errors.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { install, uninstall, verify, type InstallReport, type VerifyReport } from './admin.js';
