import { createHash } from 'node:crypto';

/**
 * The key of a hand-off of job `id` to the worker holding `secret`: the enqueue's statement
 * computes it in SQL (sha256 of `secret:id`, hex), the worker checks it, so a notification
 * anyone could have sent is not taken for a job.
 */
export function handOffKey(secret: string, id: number): string {
  return createHash('sha256').update(`${secret}:${id}`).digest('hex');
}
