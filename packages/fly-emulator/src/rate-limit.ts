/** Token-bucket limits (Fly docs: per action per machine 1 req/s, burst 3; Get Machine 5 req/s, burst 10). */
export interface RateLimitConfig {
  /** Sustained requests per second for most actions. */
  perSecond: number;
  burst: number;
  /** Get Machine's own limit. */
  getPerSecond: number;
  getBurst: number;
}

export const FLY_RATE_LIMITS: RateLimitConfig = {
  perSecond: 1,
  burst: 3,
  getPerSecond: 5,
  getBurst: 10,
};

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(public config: RateLimitConfig | null) {}

  /** Takes a token; returns 0 when allowed, else the milliseconds until one is available. */
  take(key: string, kind: "get" | "default", nowMs: number): number {
    if (!this.config) return 0;
    const rate = kind === "get" ? this.config.getPerSecond : this.config.perSecond;
    const burst = kind === "get" ? this.config.getBurst : this.config.burst;
    const bucketKey = `${kind}:${key}`;
    const bucket = this.buckets.get(bucketKey) ?? { tokens: burst, updatedAt: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.updatedAt) / 1000) * rate);
    bucket.updatedAt = nowMs;
    this.buckets.set(bucketKey, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / rate) * 1000);
  }

  reset(): void {
    this.buckets.clear();
  }
}
