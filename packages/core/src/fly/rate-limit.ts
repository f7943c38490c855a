/**
 * Client-side token buckets that keep semfly inside the Machines API's documented limits (per action, per
 * machine: 1 req/s sustained with bursts of 3; Get Machine 5 req/s with bursts of 10), so a rollout over many
 * machines never trips a 429. Buckets start full: a lone request is never delayed.
 */
import { inputError } from "../errors.js";

export interface RateLimit {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests allowed back to back before the sustained rate applies. */
  burst: number;
}

export interface FlyRateLimits {
  /** Every Machines API action not listed below, per (action, machine), or per (action, app) for app-wide calls. */
  perAction: RateLimit;
  /** Get Machine has a higher documented limit. */
  getMachine: RateLimit;
}

export const FLY_MACHINES_RATE_LIMITS: FlyRateLimits = {
  perAction: { perSecond: 1, burst: 3 },
  getMachine: { perSecond: 5, burst: 10 },
};

/**
 * What the client actually uses: Fly's limits with 10% headroom on the sustained rate, and one request less
 * in a burst. Our bucket counts a request when it is sent, Fly's when it is served: a burst whose requests
 * reach Fly late (new connections, a busy network) leaves Fly's bucket refilling later than ours, and the
 * first paced request after it would find Fly's empty. The spare token of the burst absorbs that delay (up
 * to a whole interval), the sustained headroom the jitter of every request after it.
 */
export const FLY_MACHINES_CLIENT_LIMITS: FlyRateLimits = {
  perAction: { perSecond: 0.9, burst: 2 },
  getMachine: { perSecond: 4.5, burst: 9 },
};

export interface RateLimiterClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: RateLimiterClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  detach(): void;
}

class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly waiters: Waiter[] = [];
  private timer: unknown;

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: RateLimiterClock,
  ) {
    this.tokens = limit.burst;
    this.updatedAt = clock.now();
  }

  get idle(): boolean {
    this.refill();
    return this.waiters.length === 0 && this.tokens >= this.limit.burst;
  }

  take(signal: AbortSignal | undefined, onAbort: () => unknown): Promise<void> {
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(onAbort());
    return new Promise<void>((resolve, reject) => {
      const abort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(onAbort());
      };
      const waiter: Waiter = {
        resolve,
        reject,
        detach: () => signal?.removeEventListener("abort", abort),
      };
      signal?.addEventListener("abort", abort, { once: true });
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  private refill(): void {
    const now = this.clock.now();
    // A clock that steps backwards must not mint tokens nor stall the bucket.
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.perSecond);
    this.updatedAt = now;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.waiters.length === 0) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.limit.perSecond) * 1000));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiters.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        const waiter = this.waiters.shift()!;
        waiter.detach();
        waiter.resolve();
      }
      this.schedule();
    }, wait);
  }
}

export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: FlyRateLimits = FLY_MACHINES_CLIENT_LIMITS,
    private readonly clock: RateLimiterClock = systemClock,
  ) {}

  /**
   * Wait for a slot for `action` on `scope` (a machine id, or the app for app-wide calls). Resolves at once when
   * the bucket has a token; rejects with `onAbort()` if the signal fires while queued.
   */
  acquire(
    action: string,
    scope: string,
    signal?: AbortSignal,
    onAbort: () => unknown = () => signal?.reason,
  ) {
    const key = `${action} ${scope}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      this.prune();
      const limit = action === "get_machine" ? this.limits.getMachine : this.limits.perAction;
      bucket = new TokenBucket(limit, this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket.take(signal, onAbort);
  }

  /** Forget full, idle buckets so a long-lived client does not grow without bound. */
  private prune(): void {
    if (this.buckets.size < 1000) return;
    for (const [key, bucket] of this.buckets) if (bucket.idle) this.buckets.delete(key);
  }
}

/**
 * Client limits from a JSON object of `perAction` and/or `getMachine` (`{perSecond, burst}` each), as the
 * CLI reads `SEMFLY_RATE_LIMITS`: suites against the emulator, whose clock runs faster than Fly's, pace the
 * shipped CLI to match it. Anything else is bad input; unset or empty, Fly's limits apply.
 */
export function parseRateLimits(text: string | undefined): Partial<FlyRateLimits> {
  if (text === undefined || text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const bad = () =>
    inputError(
      "INVALID_RATE_LIMITS",
      "SEMFLY_RATE_LIMITS is not a JSON object of perAction and getMachine ({perSecond, burst}, positive numbers).",
      'Unset it, or set e.g. {"perAction":{"perSecond":18,"burst":3}}.',
    );
  if (!isObject(value)) throw bad();
  const out: Partial<FlyRateLimits> = {};
  for (const [key, limit] of Object.entries(value)) {
    if (key !== "perAction" && key !== "getMachine") throw bad();
    if (!isObject(limit) || Object.keys(limit).some((k) => k !== "perSecond" && k !== "burst")) {
      throw bad();
    }
    const { perSecond, burst } = limit;
    if (typeof perSecond !== "number" || !(perSecond > 0) || !Number.isFinite(perSecond))
      throw bad();
    if (typeof burst !== "number" || !Number.isInteger(burst) || burst < 1) throw bad();
    out[key] = { perSecond, burst };
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
