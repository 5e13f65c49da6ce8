/**
 * The token buckets of rate-limited entrypoints (PostgreSQL's rate_limits): each refills at its
 * rate up to its burst, and each job claimed spends a token.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; refreshedAt: number }>();

  /** Whole tokens in the entrypoint's bucket now, after refilling it (a new bucket is full). */
  available(entrypoint: string, ratePerSecond: number, burst: number, now: number): number {
    const bucket = this.buckets.get(entrypoint) ?? { tokens: burst, refreshedAt: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (ratePerSecond * Math.max(0, now - bucket.refreshedAt)) / 1000);
    bucket.refreshedAt = Math.max(bucket.refreshedAt, now);
    this.buckets.set(entrypoint, bucket);
    return Math.floor(bucket.tokens);
  }

  /** A job of the entrypoint was claimed (after `available`). */
  spend(entrypoint: string): void {
    this.buckets.get(entrypoint)!.tokens -= 1;
  }
}
