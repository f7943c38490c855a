import { afterEach, describe, expect, it } from "vitest";
import {
  createFlyClient,
  EMPTY_GATES,
  type GateSet,
  parseGateExpression,
  parseProbeSpec,
  verifyLive,
} from "../../src/index.js";
import { APP, demoWorld, type World } from "../rollout/world.js";

/** The live image's digest (the demo's 3.1.12 is known by its OCI label only, under a deployment tag). */
function liveDigest(w: World): string {
  return w.emulator.machines(APP).find((m) => m.state === "started")!.image_ref.digest;
}
const FIVE_XX = `sum(rate(fly_app_http_responses_count{app="$APP",instance=~"$MACHINES",status=~"5.."}[1m])) or vector(0)`;

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function verifyWorld(): Promise<World> {
  const w = await demoWorld();
  // The client reads Fly's metrics from the emulator, as FLY_METRICS_BASE_URL would point it there.
  const client = createFlyClient({
    token: w.emulator.token,
    apiBaseUrl: w.emulator.url,
    flapsBaseUrl: w.emulator.url,
    uiexBaseUrl: w.emulator.url,
    metricsBaseUrl: w.emulator.url,
  });
  return { ...w, client };
}

function gates(extra: Partial<GateSet>): GateSet {
  return { ...EMPTY_GATES, intervalMs: 20, ...extra };
}

describe("verify on what is live", () => {
  it("passes a healthy app: Fly checks, one image, a probe per machine and a 5xx gate", async () => {
    world = await verifyWorld();
    const mutating = world.emulator.mutatingRequests().length;
    const report = await verifyLive(
      world.client,
      APP,
      gates({
        probes: [parseProbeSpec(`${world.emulator.appUrl(APP, "/healthz")} per-machine`)],
        metrics: [parseGateExpression(`${FIVE_XX} < 1`)],
      }),
    );
    expect(report.status).toBe("pass");
    expect(report.results.map((r) => [r.kind, r.status])).toEqual([
      ["checks", "pass"],
      ["same-image", "pass"],
      ["probe", "pass"],
      ["metric", "pass"],
    ]);
    // One answer per started machine: stopped and standby machines are not probed (it would wake them).
    const started = world.emulator.machines(APP).filter((m) => m.state === "started");
    expect(started.length).toBeLessThan(report.machines);
    expect(report.results[2]?.detail).toBe(`${started.length} answers, all 2xx`);
    expect(world.emulator.mutatingRequests().length).toBe(mutating);
  });

  it("fails an app whose image answers 5xx, naming the gate, its value and threshold", async () => {
    world = await verifyWorld();
    world.emulator.setImageTraffic(liveDigest(world), { errorRate: 0.5 });
    world.emulator.setAppTraffic(APP, { rps: 4 });
    const report = await verifyLive(
      world.client,
      APP,
      gates({ metrics: [parseGateExpression(`${FIVE_XX} < 1`, { name: "5xx per second" })] }),
    );
    expect(report.status).toBe("fail");
    // 2 requests a second of 5xx on each started machine (the demo's cold ones serve nothing).
    const started = world.emulator.machines(APP).filter((m) => m.state === "started").length;
    expect(report.failed).toMatchObject({
      name: "5xx per second",
      value: 2 * started,
      threshold: "< 1",
    });
  });

  it("fails on the machine a per-machine probe finds broken", async () => {
    world = await verifyWorld();
    world.emulator.setImageTraffic(liveDigest(world), { probeStatus: 503, probeBody: "down" });
    const report = await verifyLive(
      world.client,
      APP,
      gates({ probes: [parseProbeSpec(`${world.emulator.appUrl(APP, "/healthz")} per-machine`)] }),
    );
    expect(report.status).toBe("fail");
    expect(report.failed?.detail).toMatch(/^HTTP 503 from machine [0-9a-f]+, expected 2xx$/);
  });

  it("waits while Fly's metrics have too little data, says so, then judges", async () => {
    world = await verifyWorld();
    world.emulator.setAppTraffic(APP, { metricsDelayMs: 400 });
    await restartAll(world);
    const rounds: string[] = [];
    // For 400 ms after the restart, the machines' series do not exist yet.
    const started = Date.now();
    const report = await verifyLive(
      world.client,
      APP,
      gates({
        metrics: [
          parseGateExpression(`sum(rate(fly_app_http_responses_count{app="$APP"}[1m])) > 0`, {
            waitMs: 60_000,
          }),
        ],
      }),
      { onResults: (results) => rounds.push(results.at(-1)?.detail ?? "") },
    );
    expect(report.status).toBe("pass");
    expect(rounds[0]).toMatch(/^no series yet; waiting up to \d+s more for data$/);
    expect(rounds.at(-1)).toMatch(/ > 0$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("says plainly when Fly's metrics refuse the query", async () => {
    world = await verifyWorld();
    const report = await verifyLive(
      world.client,
      APP,
      gates({ metrics: [parseGateExpression("sum(rate(x)) < 1")] }),
    );
    expect(report.status).toBe("fail");
    expect(report.failed?.detail).toMatch(
      /^Fly's metrics refused the query: parse error: rate\(\) expects a range vector/,
    );
  });

  it("fails when machines run two images (drift), before any probe is sent", async () => {
    world = await verifyWorld();
    const [first] = world.emulator.machines(APP);
    await world.client.updateMachine(APP, first!.id, {
      config: {
        ...(first!.config as { image: string }),
        image: "registry.fly.io/acme-web:v3.1.11",
      },
    });
    const report = await verifyLive(world.client, APP, gates({}));
    expect(report.status).toBe("fail");
    expect(report.failed).toMatchObject({ kind: "same-image" });
    expect(report.failed?.detail).toMatch(/^1 machine on another image: /);
  });
});

/** Restart every started machine of the app on its own config, and wait until each has started again. */
async function restartAll(w: World): Promise<void> {
  for (const machine of w.emulator.machines(APP).filter((m) => m.state === "started")) {
    const updated = await w.client.updateMachine(APP, machine.id, {
      config: machine.config as { image: string },
    });
    await w.client.waitForState(APP, machine.id, {
      state: "started",
      timeoutSeconds: 10,
      version: updated.instanceId,
    });
  }
}
