import type { Logger } from './types.js';

const ignore = (): void => {};

export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/** The levels a logger can be set to; `silent` writes nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A logger that writes one JSON line per entry to stderr, for the CLI and quick debugging. */
export function consoleLogger(level: LogLevel = 'info'): Logger {
  if (level === 'silent') return silentLogger;
  const order = ['debug', 'info', 'warn', 'error'] as const;
  const min = order.indexOf(level);
  const at =
    (lvl: (typeof order)[number]) =>
    (obj: object, msg?: string): void => {
      if (order.indexOf(lvl) < min) return;
      process.stderr.write(`${JSON.stringify({ level: lvl, time: new Date().toISOString(), msg, ...errorFields(obj) })}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function errorFields(obj: object): object {
  const err = (obj as { err?: unknown }).err;
  if (!(err instanceof Error)) return obj;
  return { ...obj, err: { name: err.name, message: err.message, stack: err.stack } };
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
