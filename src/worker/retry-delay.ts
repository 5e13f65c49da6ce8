import type { ResolvedRetry } from '../options.js';

/**
 * Delay before the attempt after `failedAttempt`: doubling from `initialDelayMs`, capped at
 * `maxDelayMs`, with "equal jitter" (half fixed, half random) so a burst of jobs failing
 * together does not come back together, yet never retries sooner than half the backoff.
 */
export function retryDelayMs(policy: ResolvedRetry, failedAttempt: number, random: () => number = Math.random): number {
  const exponential = policy.initialDelayMs * 2 ** Math.max(0, failedAttempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped / 2 + (random() * capped) / 2);
}
