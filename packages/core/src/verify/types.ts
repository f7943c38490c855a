/**
 * Gates: what must hold for a rollout to count as serving. Fly's own checks and machine events are judged
 * by the engine on every batch; these are the gates a team adds on top (HTTP probes, PromQL), plus the
 * end-of-rollout image check.
 */

export type ComparisonOp = "<" | "<=" | ">" | ">=" | "==" | "!=";

/** `QUERY <op> NUMBER` against Fly's Prometheus API, with `$APP`, `$MACHINES`, `$BASELINE` substituted. */
export interface MetricGate {
  kind: "metric";
  name: string;
  query: string;
  op: ComparisonOp;
  threshold: number;
  /** How long a gate with too little data waits for some before it is judged by `noData`. */
  waitMs: number;
  /** What too little data means once `waitMs` has passed. */
  noData: "fail" | "pass";
}

/** A GET from where semfly runs, through Fly's proxy like any user's request. */
export interface ProbeGate {
  kind: "probe";
  name: string;
  url: string;
  /** Accepted statuses, inclusive ranges; default 200–299. */
  status: ReadonlyArray<readonly [number, number]>;
  bodyContains: string | null;
  timeoutMs: number;
  /** Probe each changed machine on its own (`fly-force-instance-id`), so a canary is judged on itself. */
  perMachine: boolean;
}

export type Gate = MetricGate | ProbeGate;

export interface GateSet {
  probes: ProbeGate[];
  metrics: MetricGate[];
  /** After the last batch, keep evaluating every gate this long before the rollout is complete. */
  bakeMs: number;
  /** Between two evaluations during the bake window. */
  intervalMs: number;
}

export const EMPTY_GATES: GateSet = { probes: [], metrics: [], bakeMs: 0, intervalMs: 15_000 };

export type GateStatus = "pass" | "fail" | "no-data";

export interface GateResult {
  name: string;
  kind: "checks" | "probe" | "metric" | "same-image";
  status: GateStatus;
  /** What was measured: a metric value, an HTTP status, a count of machines. */
  value: number | string | null;
  /** What it was held against, as written: `< 0.01`, `2xx`. */
  threshold: string | null;
  /** One line for a person: what was seen. */
  detail: string;
  /** How long a `no-data` result may wait for data before it is judged by `noData`. */
  waitMs?: number;
  noData?: "fail" | "pass";
}

/** Which machines a gate is about: the changed ones against the rest. */
export interface GateScope {
  app: string;
  changed: readonly string[];
  baseline: readonly string[];
}
