import type { Logger } from './types.js';

const ignore = (): void => {};

export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/** The levels a logger can be set to; `silent` writes nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ConsoleLoggerOptions {
  /**
   * `json` (the default): one JSON line per entry, for log collectors. `text`: a line a person
   * reads (time, level, message, fields), an error's stack indented below it; what `pgq run`
   * and `pgq dev` write to a terminal.
   */
  format?: 'json' | 'text';
}

/** A logger that writes each entry to stderr, from `level` up: JSON lines, or text for a terminal. */
export function consoleLogger(level: LogLevel = 'info', options: ConsoleLoggerOptions = {}): Logger {
  if (level === 'silent') return silentLogger;
  const order = ['debug', 'info', 'warn', 'error'] as const;
  const min = order.indexOf(level);
  const line = options.format === 'text' ? textLine : jsonLine;
  const at =
    (lvl: (typeof order)[number]) =>
    (obj: object, msg?: string): void => {
      if (order.indexOf(lvl) < min) return;
      process.stderr.write(`${line(lvl, new Date(), obj, msg)}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function jsonLine(level: string, time: Date, obj: object, msg: string | undefined): string {
  return JSON.stringify({ level, time: time.toISOString(), msg, ...errorFields(obj) });
}

function errorFields(obj: object): object {
  const err = (obj as { err?: unknown }).err;
  if (!(err instanceof Error)) return obj;
  return { ...obj, err: { name: err.name, message: err.message, stack: err.stack } };
}

/** `12:00:01.123 WARN  message key=value …`, then the error's stack (or message) indented. */
function textLine(level: string, time: Date, obj: object, msg: string | undefined): string {
  const { err, ...fields } = obj as { err?: unknown };
  const shownFields = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`);
  const head = [time.toISOString().slice(11, 23), level.toUpperCase().padEnd(5), msg ?? '', ...shownFields].filter(Boolean).join(' ');
  if (err === undefined) return head;
  const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : typeof err === 'object' && err !== null && 'message' in err ? `${(err as { name?: string }).name ?? 'Error'}: ${String((err as { message: unknown }).message)}` : String(err);
  return `${head}\n${detail.replace(/^/gm, '    ')}`;
}

// On globalThis, under a registered symbol: a worker module imported through tsx loads its own
// copy of pgqueuer, and that copy must see the logger the CLI's copy set.
const PROCESS_LOGGER = Symbol.for('pgqueuer.processLogger');
type WithProcessLogger = typeof globalThis & { [PROCESS_LOGGER]?: Logger };

/**
 * The logger of an instance created without a `logger` option: silent, unless this process
 * is `pgq run` or `pgq dev`, which log at info by default (`--log-level`, `--quiet`).
 */
export function defaultLogger(): Logger {
  return (globalThis as WithProcessLogger)[PROCESS_LOGGER] ?? silentLogger;
}

/** Sets what `defaultLogger()` returns in this process. For the `pgq` commands that run workers. */
export function setProcessLogger(logger: Logger): void {
  (globalThis as WithProcessLogger)[PROCESS_LOGGER] = logger;
}
