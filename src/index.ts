export {
  PgQueuer,
  type PgQueuerOptions,
  type RetentionOptions,
  type RunOptions,
  type ScheduleHandler,
  type ScheduleOptions,
  type ScheduleTick,
} from './pgqueuer.js';
export type { ScheduleRow } from './postgres/statements/schedules.js';
export type { LiveJob } from './port/queue-backend.js';
export type { Clock } from './memory/clock.js';
export { CompletionWatcher, type JobCompletion, type WaitOptions } from './completion/completion-watcher.js';
export type { MissedTickPolicy } from './scheduler/scheduler.js';
export type { WorkerOptions } from './worker/worker.js';
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
} from './types.js';
export {
  ConfigError,
  ConnectionError,
  DuplicateJobError,
  InvalidCronError,
  JobCanceledError,
  JobFailedError,
  JobNotFoundError,
  SchemaDefinitionError,
  UnknownJobError,
  ValidationError,
  WaitTimeoutError,
  type JobError,
  type ValidationIssue,
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
export { defineJobs, isJobsSchema, type JobDefinition, type JobDefinitions, type JobsSchema } from './schema/define-jobs.js';
export { bindClient, bindHandlers, type EnqueueItem, type JobHandle, type ScheduleHandlerFn, type TypedEnqueue } from './schema/bind.js';
export { fingerprint, FINGERPRINT_HEADER } from './schema/json-schema.js';
export { defineConfig, type PgqConfig } from './config.js';
export { startEmbeddedPostgres, type EmbeddedOptions, type EmbeddedPostgres } from './postgres/embedded.js';
