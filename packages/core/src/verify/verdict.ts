/** Verdicts from what was measured. Pure: the I/O that gathers the samples is in evaluate.ts. */
import { configuredCheckCount } from "../rollout/plan.js";
import type { FlyMachine } from "../versions/types.js";
import type { ComparisonOp, GateResult, MetricGate, ProbeGate } from "./types.js";

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

const COMPARE: Record<ComparisonOp, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

/**
 * Every series must hold. No series, or only NaN (a ratio over no requests is 0/0), is too little data:
 * neither a pass nor a fail.
 */
export function judgeMetric(gate: MetricGate, samples: readonly MetricSample[]): GateResult {
  const threshold = `${gate.op} ${gate.threshold}`;
  const values = samples.map((s) => s.value).filter((x) => !Number.isNaN(x));
  if (values.length === 0) {
    return {
      name: gate.name,
      kind: "metric",
      status: "no-data",
      waitMs: gate.waitMs,
      noData: gate.noData,
      value: null,
      threshold,
      detail: samples.length === 0 ? "no series yet" : "no requests to judge yet (NaN)",
    };
  }
  const failing = values.filter((x) => !COMPARE[gate.op](x, gate.threshold));
  const shown = failing[0] ?? values[0]!;
  return {
    name: gate.name,
    kind: "metric",
    status: failing.length === 0 ? "pass" : "fail",
    value: shown,
    threshold,
    detail:
      failing.length === 0
        ? `${formatValue(shown)} ${threshold}`
        : `${formatValue(shown)} is not ${threshold}${values.length > 1 ? ` (${failing.length} of ${values.length} series)` : ""}`,
  };
}

export interface ProbeAnswer {
  /** Null when no answer came (timeout, refused). */
  status: number | null;
  body: string;
  error: string | null;
  machineId: string | null;
}

export function statusText(gate: ProbeGate): string {
  return gate.status
    .map(([lo, hi]) =>
      lo === hi ? String(lo) : lo % 100 === 0 && hi === lo + 99 ? `${lo / 100}xx` : `${lo}-${hi}`,
    )
    .join(",");
}

export function judgeProbe(gate: ProbeGate, answers: readonly ProbeAnswer[]): GateResult {
  const expected = statusText(gate);
  const bad = answers.find(
    (a) =>
      a.status === null ||
      !gate.status.some(([lo, hi]) => a.status! >= lo && a.status! <= hi) ||
      (gate.bodyContains !== null && !a.body.includes(gate.bodyContains)),
  );
  if (!bad) {
    return {
      name: gate.name,
      kind: "probe",
      status: "pass",
      value: answers[0]?.status ?? null,
      threshold: expected,
      detail: `${answers.length} answer${answers.length === 1 ? "" : "s"}, all ${expected}`,
    };
  }
  const where = bad.machineId ? ` from machine ${bad.machineId}` : "";
  const what =
    bad.status === null
      ? `no answer${where} (${bad.error ?? "no response"})`
      : !gate.status.some(([lo, hi]) => bad.status! >= lo && bad.status! <= hi)
        ? `HTTP ${bad.status}${where}, expected ${expected}`
        : `HTTP ${bad.status}${where} without "${gate.bodyContains}" in the body`;
  return {
    name: gate.name,
    kind: "probe",
    status: "fail",
    value: bad.status,
    threshold: expected,
    detail: what,
  };
}

/** How long Fly's checks may take to report after a start: flyctl's default `--wait-timeout`. */
export const CHECKS_WAIT_MS = 5 * 60_000;

/**
 * Fly's own checks on what runs now: every started machine has a result for each configured check, and all
 * pass. Right after a start the runtime list is empty, which is too little data, not a pass. flaps'
 * `bg_deployments_compat*` entries are not checks.
 */
export function judgeFlyChecks(machines: readonly FlyMachine[]): GateResult {
  const started = machines.filter((m) => m.state === "started");
  const results = (m: FlyMachine) =>
    m.checks.filter((c) => !c.name.startsWith("bg_deployments_compat"));
  const failing = started.filter((m) => results(m).some((c) => c.status === "critical"));
  const pending = started.filter(
    (m) =>
      results(m).length < configuredCheckCount(m.config) ||
      results(m).some((c) => c.status !== "passing" && c.status !== "critical"),
  );
  const base = {
    name: "Fly health checks",
    kind: "checks" as const,
    threshold: `${started.length} started`,
    waitMs: CHECKS_WAIT_MS,
    noData: "fail" as const,
  };
  if (failing.length > 0) {
    return {
      ...base,
      status: "fail",
      value: started.length - failing.length,
      detail: `checks critical on ${failing.map((m) => m.id).join(", ")}`,
    };
  }
  if (pending.length > 0) {
    return {
      ...base,
      status: "no-data",
      value: started.length - pending.length,
      detail: `checks not reported or not passing yet on ${pending.map((m) => m.id).join(", ")}`,
    };
  }
  return {
    ...base,
    status: "pass",
    value: started.length,
    detail: `${started.length} started machine${started.length === 1 ? "" : "s"}, checks passing`,
  };
}

/** Machines that were serving before they changed must still be `started` (a crash takes them out). */
export function judgeStillRunning(
  machines: readonly FlyMachine[],
  expected: ReadonlySet<string>,
): GateResult {
  const down = machines.filter((m) => expected.has(m.id) && m.state !== "started");
  return {
    name: "changed machines running",
    kind: "checks",
    status: down.length === 0 ? "pass" : "fail",
    value: expected.size - down.length,
    threshold: `${expected.size} started`,
    detail:
      down.length === 0
        ? `${expected.size} started`
        : down.map((m) => `${m.id} is ${m.state}`).join(", "),
  };
}

/**
 * Every machine of the judged groups runs one digest (the target's, during a rollout). This is the check a
 * deploy that "succeeded" with stale machines skips.
 */
export function judgeSameImage(machines: readonly FlyMachine[], digest: string | null): GateResult {
  const digests = new Set(machines.map((m) => m.imageRef?.digest ?? m.image));
  const expected = digest ?? [...digests][0] ?? null;
  const off = machines.filter((m) => (m.imageRef?.digest ?? m.image) !== expected);
  return {
    name: "same image everywhere",
    kind: "same-image",
    status: off.length === 0 ? "pass" : "fail",
    value: machines.length - off.length,
    threshold: `${machines.length} on ${expected ? shortDigest(expected) : "one image"}`,
    detail:
      off.length === 0
        ? `${machines.length} machine${machines.length === 1 ? "" : "s"} on ${expected ? shortDigest(expected) : "one image"}`
        : `${off.length} machine${off.length === 1 ? "" : "s"} on another image: ${off.map((m) => m.id).join(", ")}`,
  };
}

/** One line for a round of gate results, as the CLI and the extension show progress. */
export function gateSummary(results: readonly GateResult[]): string {
  const word = { pass: "passes", fail: "FAILS", "no-data": "waits for data" } as const;
  return results.map((r) => `${r.name} ${word[r.status]} (${r.detail})`).join("; ");
}

function shortDigest(digest: string): string {
  return digest.startsWith("sha256:") ? digest.slice(0, 19) : digest;
}

function formatValue(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}
