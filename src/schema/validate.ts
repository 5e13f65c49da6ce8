import type { ZodType } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors.js';

interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
  code: string;
}

/** Parses `value` with `schema`, or throws a ValidationError listing every issue by path. */
export function parseWith<T>(
  schema: ZodType<T>,
  value: unknown,
  context: { entrypoint: string; what: 'payload' | 'result'; jobId?: number; pathPrefix?: string },
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues: ValidationIssue[] = (parsed.error.issues as ZodIssueLike[]).map((issue) => ({
    path: formatPath(issue.path, context.pathPrefix ?? ''),
    message: issue.message,
    code: issue.code,
  }));
  throw new ValidationError(context.entrypoint, context.what, issues, context.jobId);
}

function formatPath(path: PropertyKey[], prefix: string): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
