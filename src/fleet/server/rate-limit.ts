// Token buckets per key (a peer address): at most `burst` at once, refilled at `perMinute`; bounded in memory.

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /**
   * @param perMinute tokens added per minute
   * @param burst the bucket's size: how many may come at once
   * @param maxKeys addresses remembered at most; past it, the full (idle) buckets are forgotten first
   */
  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes `cost` tokens for `key`; false (and how many ms until there are enough) when there are not. */
  take(key: string, now: number, cost = 1): { ok: true } | { ok: false; retryAfterMs: number } {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perMinute) / 60_000);
    b.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
      // Still full of distinct addresses that all spent tokens: the oldest goes (it refills soonest anyway).
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      this.buckets.set(key, b);
    }
    // A cost above the bucket's size could never be paid: it is paid from a full bucket, into debt.
    if (b.tokens >= Math.min(cost, this.burst)) {
      b.tokens -= cost;
      return { ok: true };
    }
    return {
      ok: false,
      retryAfterMs: Math.ceil(((Math.min(cost, this.burst) - b.tokens) * 60_000) / this.perMinute),
    };
  }

  private sweep(now: number) {
    for (const [k, b] of this.buckets)
      if (b.tokens + ((now - b.at) * this.perMinute) / 60_000 >= this.burst) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}
