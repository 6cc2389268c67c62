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

  /** Takes one token for `key`; false (and how many ms until the next one) when there is none. */
  take(key: string, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perMinute) / 60_000);
    b.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
      // Still full of distinct addresses that all spent tokens: the oldest goes (it refills soonest anyway).
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      this.buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) * 60_000) / this.perMinute) };
  }

  private sweep(now: number) {
    for (const [k, b] of this.buckets)
      if (b.tokens + ((now - b.at) * this.perMinute) / 60_000 >= this.burst) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}
