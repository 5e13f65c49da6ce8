import { Option, type Command } from 'commander';
import { consoleLogger, LOG_LEVELS, setProcessLogger, type LogLevel } from '../logger.js';
import { visibleControls } from './terminal-text.js';

export interface LogLevelOptions {
  logLevel: LogLevel;
  quiet?: boolean;
}

/** `--log-level` and `--quiet`, for the commands that run a worker. */
export function withLogLevelOptions(command: Command): Command {
  return command
    .addOption(new Option('--log-level <level>', 'what the worker logs to stderr (text in a terminal, else JSON lines)').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--quiet', 'log warnings and errors only (--log-level warn)').conflicts('logLevel'));
}

export function logLevelOf(opts: LogLevelOptions): LogLevel {
  return opts.quiet ? 'warn' : opts.logLevel;
}

/**
 * What a worker command prints about itself, as plain lines on stderr: where its servers
 * listen and that it runs are info, a worker that died is a warning. They follow the level.
 */
export interface CliStatus {
  info(text: string): void;
  warn(text: string): void;
}

/**
 * Makes `level` the logging of this process: every PgQueuer created without a `logger`
 * option (the worker module's) logs at it; one given a logger keeps it. Returns the printer
 * of the command's own lines, which follow the same level.
 */
export function useLogLevel(level: LogLevel): CliStatus {
  // A person reads a terminal; anything else (a file, a collector) gets JSON lines.
  setProcessLogger(consoleLogger(level, { format: process.stderr.isTTY ? 'text' : 'json' }));
  const print = (text: string): void => console.error(visibleControls(text));
  const ignore = (): void => {};
  return {
    info: level === 'debug' || level === 'info' ? print : ignore,
    warn: level === 'error' || level === 'silent' ? ignore : print,
  };
}
