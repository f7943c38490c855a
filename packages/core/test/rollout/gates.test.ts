import { afterEach, describe, expect, it } from "vitest";
import {
  EMPTY_GATES,
  executeRollout,
  type GateSet,
  gateSources,
  parseGateExpression,
  parseProbeSpec,
  prepareRollback,
  type RolloutEvent,
  type RolloutGates,
} from "../../src/index.js";
import {
  APP,
  demoWorld,
  digestsOf,
  FAST_TIMING,
  latestRelease,
  managedMachines,
  type World,
} from "./world.js";

/** The 5xx rate of the machines the rollout changed, as a team would gate on it. */
const CHANGED_5XX = `sum(rate(fly_app_http_responses_count{app="$APP",instance=~"$MACHINES",status=~"5.."}[1m])) or vector(0)`;

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

function gatesFor(w: World, set: Partial<GateSet>): RolloutGates {
  return { gates: { ...EMPTY_GATES, intervalMs: 30, ...set }, sources: gateSources(w.client, APP) };
}

/** A rollback of the demo app to 3.1.11, and the digest of its image. */
async function rollbackPlan(w: World) {
  const { plan } = await prepareRollback(w.client, APP, { target: { spec: "3.1.11" } });
  return plan;
}

function semflyNotes(w: World): Record<string, unknown> {
  return (latestRelease(w.emulator).metadata as { semfly: Record<string, unknown> }).semfly;
}

describe("gates judge a rollout and revert it on their own", () => {
  it("reverts, during the bake window, a target whose checks pass but whose 5xx rate fails a gate", async () => {
    world = await demoWorld();
    const before = digestsOf(world.emulator);
    const plan = await rollbackPlan(world);
    const w = world;
    const phases: string[] = [];
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      gates: gatesFor(world, {
        metrics: [parseGateExpression(`${CHANGED_5XX} < 1`, { name: "5xx of changed machines" })],
        bakeMs: 2_000,
      }),
      onEvent: (e: RolloutEvent) => {
        if (e.type !== "gates") return;
        // The target serves well through every batch and starts answering 5xx once the bake begins.
        if (e.phase === "bake" && !phases.includes("bake")) {
          w.emulator.setImageTraffic(plan.to.digest, { errorRate: 0.2 });
        }
        phases.push(e.phase);
      },
    });
    expect(result.status).toBe("failed");
    expect(result.reverted).toBe(true);
    expect(phases.filter((p) => p === "batch").length).toBe(plan.batches.length);
    expect(result.reason).toMatch(
      /^Gate 5xx of changed machines failed during the bake window: \d+ is not < 1; every changed machine was put back\.$/,
    );
    expect(digestsOf(world.emulator)).toEqual(before);
    expect(world.emulator.leases(APP)).toEqual([]);
    const release = latestRelease(world.emulator);
    expect(release.status).toBe("failed");
    expect(semflyNotes(world).gates).toMatchObject({
      failed: { name: "5xx of changed machines", kind: "metric", status: "fail", threshold: "< 1" },
    });
    expect(phases.length).toBeGreaterThan(0);
  });

  it("keeps a healthy target through the bake window, then completes with every gate recorded", async () => {
    world = await demoWorld();
    const plan = await rollbackPlan(world);
    const rounds: string[] = [];
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      gates: gatesFor(world, {
        metrics: [parseGateExpression(`${CHANGED_5XX} < 1`)],
        probes: [parseProbeSpec(`${world.emulator.appUrl(APP, "/healthz")} per-machine`)],
        bakeMs: 300,
      }),
      onEvent: (e) => {
        if (e.type === "gates" && e.phase === "bake") rounds.push(e.summary);
      },
    });
    expect(result.status).toBe("complete");
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds.at(-1)).toMatch(/same image everywhere passes/);
    const managed = managedMachines(world.emulator);
    expect(new Set(managed.map((m) => m.image_ref?.digest))).toEqual(new Set([plan.to.digest]));
    const recorded = semflyNotes(world).gates as { results: { name: string; status: string }[] };
    expect(recorded.results.map((r) => r.status)).toEqual(recorded.results.map(() => "pass"));
    expect(world.emulator.leases(APP)).toEqual([]);
  });

  it("stops after the first batch when a per-machine probe fails on the canary", async () => {
    world = await demoWorld();
    const before = digestsOf(world.emulator);
    const plan = await rollbackPlan(world);
    world.emulator.setImageTraffic(plan.to.digest, { probeStatus: 503, probeBody: "broken" });
    const batches: number[] = [];
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      gates: gatesFor(world, {
        probes: [parseProbeSpec(`${world.emulator.appUrl(APP, "/healthz")} per-machine`)],
      }),
      onEvent: (e) => {
        if (e.type === "batch-started") batches.push(e.index);
      },
    });
    expect(result.status).toBe("failed");
    expect(batches).toEqual([0]);
    expect(result.reason).toMatch(
      /^Gate GET .*\/healthz failed after a batch: HTTP 503 from machine [0-9a-f]+, expected 2xx; every changed machine was put back\.$/,
    );
    expect(result.machines.filter((m) => m.result === "reverted")).toHaveLength(1);
    expect(digestsOf(world.emulator)).toEqual(before);
    expect(world.emulator.leases(APP)).toEqual([]);
  });

  it("waits, and says so, while a gate has too little data, then judges it", async () => {
    world = await demoWorld();
    world.emulator.setAppTraffic(APP, { metricsDelayMs: 300 });
    const plan = await rollbackPlan(world);
    const summaries: string[] = [];
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      gates: gatesFor(world, {
        metrics: [
          parseGateExpression(
            `sum(rate(fly_app_http_responses_count{app="$APP",instance=~"$MACHINES"}[1m])) > 0`,
            { name: "changed machines serve", waitMs: 30_000 },
          ),
        ],
      }),
      onEvent: (e) => {
        if (e.type === "gates") summaries.push(e.summary);
      },
    });
    expect(result.status).toBe("complete");
    expect(summaries[0]).toMatch(
      /^changed machines serve waits for data \(no series yet; waiting up to \d+s more for data\)$/,
    );
    expect(summaries.some((s) => s.startsWith("changed machines serve passes"))).toBe(true);
    expect(world.emulator.leases(APP)).toEqual([]);
  });

  it("on Ctrl-C during the bake window, stops judging, leaves the target and marks the release interrupted", async () => {
    world = await demoWorld();
    const plan = await rollbackPlan(world);
    const abort = new AbortController();
    const result = await executeRollout(world.client, plan, {
      signal: abort.signal,
      timing: FAST_TIMING,
      gates: gatesFor(world, {
        metrics: [parseGateExpression(`${CHANGED_5XX} < 1`)],
        bakeMs: 60_000,
      }),
      onEvent: (e) => {
        if (e.type === "gates" && e.phase === "bake") abort.abort();
      },
    });
    expect(result.status).toBe("interrupted");
    expect(result.reason).toBe(
      "Interrupted during the bake window: every machine runs the target, but not every gate was judged for the whole window.",
    );
    expect(result.undoTarget?.version).toBe("3.1.12");
    const managed = managedMachines(world.emulator);
    expect(new Set(managed.map((m) => m.image_ref?.digest))).toEqual(new Set([plan.to.digest]));
    expect(latestRelease(world.emulator).status).toBe("interrupted");
    expect(world.emulator.leases(APP)).toEqual([]);
  });
});
