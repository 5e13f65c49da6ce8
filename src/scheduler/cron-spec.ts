import { CronExpressionParser } from 'cron-parser';
import { InvalidCronError } from '../errors.js';

/**
 * A checked cron expression: 5 fields (minute resolution) or 6 (the first is seconds), in a
 * timezone (IANA name, default UTC) so "0 3 * * *" means 03:00 local time across DST changes.
 */
export interface CronSpec {
  readonly expression: string;
  readonly timezone: string;
}

export function parseCron(expression: string, timezone = 'UTC'): CronSpec {
  if (typeof expression !== 'string') throw new InvalidCronError(String(expression), 'it must be a string');
  const fields = expression.trim().split(/\s+/);
  // cron-parser fills in missing fields; a 4-field typo must not silently mean something else.
  if (fields.length !== 5 && fields.length !== 6) {
    throw new InvalidCronError(expression, `expected 5 fields (minute hour day month weekday) or 6 (with seconds first), got ${fields.length}`);
  }
  if (!isTimezone(timezone)) throw new InvalidCronError(expression, `unknown timezone "${timezone}"`);
  try {
    CronExpressionParser.parse(expression, { tz: timezone });
  } catch (err) {
    throw new InvalidCronError(expression, (err as Error).message);
  }
  return { expression: fields.join(' '), timezone };
}

/** The first time strictly after `after` that matches. */
export function nextRun(spec: CronSpec, after: Date): Date {
  return CronExpressionParser.parse(spec.expression, { tz: spec.timezone, currentDate: after }).next().toDate();
}

/** The latest time at or before `at` that matches. */
export function latestRun(spec: CronSpec, at: Date): Date {
  // prev() is strictly before its start, so start one millisecond later to include `at`.
  return CronExpressionParser.parse(spec.expression, { tz: spec.timezone, currentDate: new Date(at.getTime() + 1) }).prev().toDate();
}

function isTimezone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
