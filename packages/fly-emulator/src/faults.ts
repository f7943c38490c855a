import type { Service } from "./model.js";
import type { Rng } from "./random.js";

/** What a matching fault rule does to a request. */
export type FaultAction =
  /** Answer with this status instead of handling the request (5xx, or 429 with `Retry-After`). */
  | {
      type: "status";
      status: 429 | 500 | 502 | 503 | 504;
      retryAfterSeconds?: number;
      body?: string;
      /** Handle the request first (its effect happens), then answer with this status instead. */
      afterHandling?: boolean;
    }
  /**
   * Destroy the socket without answering; with `afterHandling`, only after the request took effect
   * (an update applied whose answer is lost, which fly-go then resends).
   */
  | { type: "drop"; afterHandling?: boolean }
  /** Wait this long, then handle the request normally. */
  | { type: "delay"; ms: number };

export interface FaultRule {
  /** Only requests to this service (default: all). */
  service?: Service;
  /** Only this operation: a route name (`machines.update`), a GraphQL operation name, or a prefix ending in `*`. */
  operation?: string;
  /** Only this HTTP method. */
  method?: string;
  /** Chance per matching request, 0–1 (default 1). Drawn from the seeded fault stream. */
  probability?: number;
  /** Fire at most this many times (default: unlimited). */
  times?: number;
  action: FaultAction;
}

export interface Faults {
  /** Images whose machines fail their health checks (applied when the faults are set). */
  badImages?: string[];
  /** Images whose machines never reach `started` (`fail` → `failed`, `hang` → stuck). */
  neverStartImages?: Array<string | { ref: string; mode: "fail" | "hang" }>;
  /** Leases someone else holds (applied when the faults are set). */
  heldLeases?: Array<{ app: string; machineId: string; owner?: string; ttlSeconds?: number }>;
  /** Fixed latency added to every request. */
  latencyMs?: number;
  /** Up to this much extra latency per request, drawn from the seeded jitter stream. */
  jitterMs?: number;
  rules?: FaultRule[];
}

interface ArmedRule {
  rule: FaultRule;
  fired: number;
}

export class FaultInjector {
  private config: Faults = {};
  private armed: ArmedRule[] = [];

  constructor(
    private readonly faultRng: Rng,
    private readonly jitterRng: Rng,
    initial: Faults = {},
  ) {
    this.set(initial);
  }

  set(faults: Faults): void {
    this.config = { ...faults, rules: [...(faults.rules ?? [])] };
    this.armed = (faults.rules ?? []).map((rule) => ({ rule, fired: 0 }));
  }

  get(): Faults {
    return structuredClone(this.config);
  }

  latency(): number {
    const base = this.config.latencyMs ?? 0;
    const jitter = this.config.jitterMs ?? 0;
    return base + (jitter > 0 ? this.jitterRng.next() * jitter : 0);
  }

  /** The first matching rule that fires for this request, if any. */
  pick(request: {
    service: Service | "other";
    operation: string;
    method: string;
  }): FaultAction | null {
    for (const entry of this.armed) {
      const { rule } = entry;
      if (rule.service && rule.service !== request.service) continue;
      if (rule.method && rule.method.toUpperCase() !== request.method) continue;
      if (rule.operation) {
        const matches = rule.operation.endsWith("*")
          ? request.operation.startsWith(rule.operation.slice(0, -1))
          : request.operation === rule.operation;
        if (!matches) continue;
      }
      if (rule.times !== undefined && entry.fired >= rule.times) continue;
      const probability = rule.probability ?? 1;
      if (probability < 1 && this.faultRng.next() >= probability) continue;
      entry.fired++;
      return rule.action;
    }
    return null;
  }
}
