import { replaceLoneSurrogates } from '../lone-surrogates.js';
import type { JobError } from '../types.js';

const MAX_MESSAGE = 10_000;
const MAX_STACK = 20_000;

/**
 * What is kept of a thrown value in the job log: bounded, and always storable in jsonb (no NUL,
 * no unpaired surrogates), since one unstorable outcome would hold up the others in its batch.
 */
export function serializeError(thrown: unknown): JobError {
  if (thrown instanceof Error) {
    const record: JobError = {
      name: clean(thrown.name || 'Error', 200),
      message: clean(thrown.message, MAX_MESSAGE),
    };
    if (thrown.stack) record.stack = clean(thrown.stack, MAX_STACK);
    const details = (thrown as { details?: unknown }).details;
    if (details !== undefined) record.details = safeDetails(details);
    return record;
  }
  return { name: 'NonErrorThrown', message: clean(describe(thrown), MAX_MESSAGE) };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function clean(text: string, max: number): string {
  const stripped = text.replaceAll('\u0000', '\\u0000');
  // Cutting may split a surrogate pair: any half left alone becomes U+FFFD.
  const cut = stripped.length > max ? `${stripped.slice(0, max)}… (${stripped.length - max} more characters)` : stripped;
  return replaceLoneSurrogates(cut);
}

function safeDetails(details: unknown): unknown {
  try {
    const text = JSON.stringify(details);
    if (text === undefined || text.length > MAX_STACK) return undefined;
    // Escaped lone surrogates (\udXXX with no partner) are as unstorable as NUL: both are
    // replaced after parsing, where they are plain characters again.
    return JSON.parse(text.replaceAll('\\u0000', '\\\\u0000'), (_key, value: unknown) =>
      typeof value === 'string' ? replaceLoneSurrogates(value) : value,
    );
  } catch {
    return undefined;
  }
}
