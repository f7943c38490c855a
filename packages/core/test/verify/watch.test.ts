import { describe, expect, it } from "vitest";
import {
  EMPTY_GATES,
  type GateSet,
  type GateSources,
  type MetricSample,
  parseGateExpression,
  watchGates,
} from "../../src/index.js";

/** A typed fake of the two sources: metric answers in turn, probes always 200. */
function sources(answers: MetricSample[][], seen: string[] = []): GateSources {
  let call = 0;
  return {
    async queryMetrics(query) {
      seen.push(query);
      return answers[Math.min(call++, answers.length - 1)] ?? [];
    },
    probe: async (_gate, machineId) => ({ status: 200, body: "ok", error: null, machineId }),
  };
}

function gates(extra: Partial<GateSet>): GateSet {
  return { ...EMPTY_GATES, intervalMs: 1, ...extra };
}

const scope = { app: "acme-web", changed: ["m1", "m2"], baseline: ["m3"] };

describe("watching gates", () => {
  it("substitutes the app, the changed machines and the baseline into the query", async () => {
    const seen: string[] = [];
    const gate = parseGateExpression(
      'x{app="$APP",instance=~"$MACHINES"} / y{instance=~"$BASELINE"} < 2',
    );
    await watchGates(
      sources([[{ labels: {}, value: 1 }]], seen),
      gates({ metrics: [gate] }),
      scope,
      {
        durationMs: 0,
      },
    );
    expect(seen).toEqual(['x{app="acme-web",instance=~"m1|m2"} / y{instance=~"m3"}']);
  });

  it("waits while a gate has no data, says so, and judges once data comes", async () => {
    const rounds: string[][] = [];
    const gate = parseGateExpression("x < 1", { waitMs: 60_000 });
    const outcome = await watchGates(
      sources([[], [{ labels: {}, value: Number.NaN }], [{ labels: {}, value: 5 }]]),
      gates({ metrics: [gate] }),
      scope,
      { durationMs: 0, onResults: (r) => rounds.push(r.map((x) => `${x.status}: ${x.detail}`)) },
    );
    expect(rounds[0]?.[0]).toMatch(/^no-data: no series yet; waiting up to 60s more for data$/);
    expect(rounds[1]?.[0]).toMatch(/^no-data: no requests to judge yet \(NaN\); waiting/);
    expect(outcome).toMatchObject({ status: "fail", failed: { value: 5, threshold: "< 1" } });
  });

  it("fails a gate that never gets data once its wait is over, unless it says no_data = pass", async () => {
    let clock = 0;
    const now = () => (clock += 1000);
    const failing = parseGateExpression("x < 1", { waitMs: 3000 });
    const outcome = await watchGates(sources([[]]), gates({ metrics: [failing] }), scope, {
      durationMs: 0,
      now,
    });
    expect(outcome).toMatchObject({ status: "fail", failed: { status: "fail" } });
    if (outcome.status === "fail") expect(outcome.failed.detail).toMatch(/still no data after 3s/);
    const lenient = parseGateExpression("x < 1", { waitMs: 3000, noData: "pass" });
    const passed = await watchGates(sources([[]]), gates({ metrics: [lenient] }), scope, {
      durationMs: 0,
      now,
    });
    expect(passed.status).toBe("pass");
  });

  it("keeps judging through the bake window and stops at the first failure", async () => {
    let clock = 0;
    const now = () => (clock += 1000);
    const gate = parseGateExpression("x < 1");
    const answers = [
      [{ labels: {}, value: 0 }],
      [{ labels: {}, value: 0 }],
      [{ labels: {}, value: 3 }],
    ];
    const outcome = await watchGates(sources(answers), gates({ metrics: [gate] }), scope, {
      durationMs: 10_000,
      now,
    });
    expect(outcome).toMatchObject({ status: "fail", failed: { value: 3 } });
  });

  it("passes after the bake window when every round passed", async () => {
    let clock = 0;
    let rounds = 0;
    const outcome = await watchGates(
      sources([[{ labels: {}, value: 0 }]]),
      gates({ metrics: [parseGateExpression("x < 1")] }),
      scope,
      { durationMs: 5000, now: () => (clock += 1000), onResults: () => rounds++ },
    );
    expect(outcome.status).toBe("pass");
    expect(rounds).toBe(5);
  });

  it("stops when interrupted and says so", async () => {
    const abort = new AbortController();
    const outcome = await watchGates(
      sources([[{ labels: {}, value: 0 }]]),
      gates({ metrics: [parseGateExpression("x < 1")], intervalMs: 10 }),
      scope,
      { durationMs: 60_000, signal: abort.signal, onResults: () => abort.abort() },
    );
    expect(outcome.status).toBe("interrupted");
  });
});
