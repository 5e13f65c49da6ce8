export { PgQueuer } from './pgqueuer.js';
export type {
  Clock,
  EnqueueItem,
  EnqueueManyItem,
  EnqueueOptions,
  EntrypointOptions,
  FinalStatus,
  InstallReport,
  Job,
  JobCompletion,
  JobContext,
  JobError,
  JobHandle,
  JobHandler,
  JobHeaders,
  JobStatus,
  LiveJob,
  Logger,
  MetricsOptions,
  MissedTickPolicy,
  PgQueuerOptions,
  QueueSizeRow,
  RateLimit,
  RetentionOptions,
  RetryPolicy,
  RunOptions,
  ScheduleHandler,
  ScheduleOptions,
  ScheduleRow,
  ScheduleTick,
  TransactionClient,
  TypedEnqueue,
  VerifyReport,
  WaitOptions,
  WorkerOptions,
} from './types.js';
export { CompletionWatcher } from './completion/completion-watcher.js';
export {
  ConfigError,
  ConnectionError,
  DuplicateJobError,
  InvalidCronError,
  JobAbandonedSignal,
  JobCanceledError,
  JobCanceledSignal,
  JobFailedError,
  JobNotFoundError,
  PayloadError,
  PermanentJobError,
  PgQueuerError,
  PgQueuerSignal,
  SchemaDefinitionError,
  SchemaNotInstalledError,
  SchemaVersionError,
  StateError,
  UnknownJobError,
  ValidationError,
  WaitTimeoutError,
  type ValidationIssue,
} from './errors.js';
export { consoleLogger, silentLogger } from './logger.js';
export { install, uninstall, verify } from './admin.js';
export { defineJobs, isJobsSchema, type JobDefinition, type JobDefinitions, type JobsSchema } from './schema/define-jobs.js';
export { bindClient, bindHandlers } from './schema/bind.js';
export { fingerprint, FINGERPRINT_HEADER } from './schema/json-schema.js';
export { defineConfig, type PgqConfig } from './config.js';
export { startEmbeddedPostgres, type EmbeddedOptions, type EmbeddedPostgres } from './postgres/embedded.js';
