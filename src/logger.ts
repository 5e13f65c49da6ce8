import type { Logger } from './types.js';

const ignore = (): void => {};

export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/** A logger that writes one JSON line per entry to stderr, for the CLI and quick debugging. */
export function consoleLogger(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
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
