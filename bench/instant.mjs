// Instant rollback: 300 machines in 3 regions, their previous version parked by a bluegreen rollout. Going
// back starts the parked set (one machine start) instead of redeploying batch by batch; the rolling
// rollback of the same app to the same version runs beside it (A B A B …), each on a fresh emulator with
// 60 ms per request and Fly's rate limits on. The target (issue 15): at most 1.3 × (one machine start +
// 4 round trips), where the round trip is measured on the same emulator right after each run.
import {
  createFlyClient,
  executeRollout,
  instantRollback,
  parkedSets,
  prepareRollback,
} from "../packages/core/dist/index.js";
import { BenchEmulator, LATENCY_MS } from "./lib/emulator.mjs";
import { median, msSince, row } from "./lib/runner.mjs";

export const name = "Instant rollback";

/** The scenario's boot time: 1 s as in the rollout bench; the smoke pass boots in 300 ms to stay short. */
let BOOT_TIME_MS = 1_000;
/** The emulator's default: a third of the boot. */
let RESUME_TIME_MS = Math.round(BOOT_TIME_MS / 3);
const REGIONS = ["ams", "iad", "sin"];

/** @param {{smoke: boolean, iterations: (full: number, smoke: number) => number, log: (line: string) => void}} ctx */
export async function run(ctx) {
  const machines = ctx.smoke ? 12 : 300;
  BOOT_TIME_MS = ctx.smoke ? 300 : 1_000;
  RESUME_TIME_MS = Math.round(BOOT_TIME_MS / 3);
  const iterations = ctx.iterations(3, 1);
  ctx.log(
    `instant vs rolling: ${machines} machines in ${REGIONS.length} regions (${iterations} runs each)`,
  );
  const instant = [];
  const stopped = [];
  const rolling = [];
  for (let i = 0; i < iterations; i++) {
    instant.push(await once("instant", machines, ctx.log));
    if (!ctx.smoke) stopped.push(await once("instant", machines, ctx.log, { parkStopped: true }));
    rolling.push(await once("rolling", machines, ctx.log));
  }
  const rtt = Math.round(median(instant.map((s) => s.rttMs)));
  const figure = `${machines} machines`;
  const ideal = {
    name: `1 start + 4 RTT = ${BOOT_TIME_MS}+4×${rtt}`,
    samples: instant.map((s) => s.idealMs),
  };
  return [
    row({
      scenario: name,
      figure: `instant, ${figure}: until the cut-over`,
      unit: "ms",
      samples: instant.map((s) => s.cutOverMs),
      baseline: ideal,
      target: { max: 1.3, of: "ratio", label: "≤ 1.3× (1 start + 4 RTT)" },
      note: `parked ${instant[0].parkedState}: a start is a resume (${RESUME_TIME_MS} ms, against a ${BOOT_TIME_MS} ms cold start); until the restored set serves and the current one is cordoned`,
    }),
    ...(stopped.length
      ? [
          row({
            scenario: name,
            figure: `instant, ${figure}, parked stopped: until the cut-over`,
            unit: "ms",
            samples: stopped.map((s) => s.cutOverMs),
            baseline: {
              name: ideal.name,
              samples: stopped.map((s) => s.idealMs),
            },
            target: { max: 1.3, of: "ratio", label: "≤ 1.3× (1 start + 4 RTT)" },
            note: `Fly refusing every suspend (a 503 fault), so the set was parked ${stopped[0].parkedState}: a start is a cold boot; ${stopped[stopped.length - 1].breakdown}`,
          }),
          row({
            scenario: name,
            figure: `instant, ${figure}, parked stopped: requests per machine`,
            unit: "count",
            samples: stopped.map((s) => s.perMachine),
            target: { max: 6, of: "value", label: "≤ 6" },
          }),
          row({
            scenario: name,
            figure: `instant, ${figure}, parked stopped: 429s received`,
            unit: "count",
            samples: stopped.map((s) => s.rateLimited),
            target: { max: 0, of: "value", label: "0" },
          }),
        ]
      : []),
    row({
      scenario: name,
      figure: `instant, ${figure}: whole run`,
      unit: "ms",
      samples: instant.map((s) => s.ms),
      baseline: ideal,
      note: `also parks the current set, records the release, releases the leases; ${instant[instant.length - 1].breakdown}`,
    }),
    row({
      scenario: name,
      figure: `rolling 0.33, same app and target: whole run`,
      unit: "ms",
      samples: rolling.map((s) => s.ms),
      baseline: { name: "instant whole run, same run", samples: instant.map((s) => s.ms) },
      note: `${rolling[0].batches} batches; ${rolling[rolling.length - 1].breakdown}`,
    }),
    row({
      scenario: name,
      figure: `instant, ${figure}: requests per machine`,
      unit: "count",
      samples: instant.map((s) => s.perMachine),
      target: { max: 6, of: "value", label: "≤ 6" },
      note: "the most requests any one machine's paths received (restored and parked alike)",
    }),
    row({
      scenario: name,
      figure: `instant, ${figure}: requests per restored machine`,
      unit: "count",
      samples: instant.map((s) => s.requests / s.machines),
      note: "every request of the run (both sets, leases, release record) over the machines restored",
    }),
    row({
      scenario: name,
      figure: `instant, ${figure}: 429s received`,
      unit: "count",
      samples: instant.map((s) => s.rateLimited),
      target: { max: 0, of: "value", label: "0" },
    }),
    row({
      scenario: name,
      figure: `rolling, ${figure}: 429s received`,
      unit: "count",
      samples: rolling.map((s) => s.rateLimited),
      target: { max: 0, of: "value", label: "0" },
    }),
  ];
}

/**
 * A fresh app whose live version replaced the previous one by bluegreen (so the previous one is parked),
 * then the measured rollback to that previous version: instant, or rolling.
 */
async function once(mode, machines, say, options = {}) {
  const began = process.hrtime.bigint();
  const emulator = await BenchEmulator.start({
    large: { app: "bench-instant", releases: 40, machines, regions: REGIONS, deployEvery: 4 },
    bootTimeMs: BOOT_TIME_MS,
    // The ideal counts the start only: checks report as the machine starts.
    checkDelayMs: 0,
    rateLimits: false,
  });
  try {
    const url = emulator.url;
    const client = createFlyClient({
      token: emulator.token,
      apiBaseUrl: url,
      flapsBaseUrl: url,
      uiexBaseUrl: url,
    });
    // Set-up, not measured: a bluegreen rollback to the previous deploy parks the live version's set.
    // Fly allows one machine create per second per app, so semfly's client paces 300 creates over five
    // minutes; the set-up's client and emulator run unlimited, the measured run with the limits on.
    const unlimited = createFlyClient({
      token: emulator.token,
      apiBaseUrl: url,
      flapsBaseUrl: url,
      uiexBaseUrl: url,
      rateLimit: false,
    });
    if (options.parkStopped) {
      // Faults replace the emulator's whole fault config, its per-request latency included.
      await emulator.setFaults({
        latencyMs: LATENCY_MS,
        rules: [{ operation: "machines.suspend", action: { type: "status", status: 503 } }],
      });
    }
    const setup = await prepareRollback(unlimited, emulator.app, {
      target: { spec: "previous" },
      strategy: "bluegreen",
    });
    const parkedRun = await executeRollout(unlimited, setup.plan, { timing: { crashWatchMs: 0 } });
    if (parkedRun.status !== "complete") {
      throw new Error(`set-up bluegreen ended ${parkedRun.status}: ${parkedRun.reason}`);
    }
    say(`${mode}: set-up bluegreen took ${Math.round(msSince(began))} ms`);
    const listed = await client.listMachines(emulator.app);
    const set = parkedSets(listed, Date.now())[0];
    if (!set?.digest) throw new Error("set-up left no parked set");
    await emulator.setFaults({ latencyMs: LATENCY_MS });
    await emulator.setRateLimits(true);
    // Let the set-up's last machines settle.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const machinesNow = await client.listMachines(emulator.app);
    const parkedState = summarizeStates(
      set.machines.map((m) => machinesNow.find((x) => x.id === m.id)?.state ?? "gone"),
    );
    const prepared = await prepareRollback(client, emulator.app, {
      target: { spec: set.digest },
      strategy: mode === "instant" ? "bluegreen" : "rolling",
      maxUnavailable: 0.33,
    });
    await emulator.clearRequestLog();
    const before = await emulator.counters();
    const start = process.hrtime.bigint();
    let cutOverMs = Number.NaN;
    // The crash watch (flyctl's smoke check, 10 s of event reads after a start) is a deliberate wait the
    // ideal does not count: both sides run without it, as in the rollout bench.
    const result =
      mode === "instant"
        ? await instantRollback(client, prepared.plan, machinesNow, {
            timing: { crashWatchMs: 0 },
            onCutOver: () => {
              cutOverMs = msSince(start);
            },
          })
        : await executeRollout(client, prepared.plan, { timing: { crashWatchMs: 0 } });
    const ms = msSince(start);
    if (result.status !== "complete") {
      throw new Error(`${mode} rollback ended ${result.status}: ${result.reason}`);
    }
    const log = await emulator.requestLog();
    const after = await emulator.counters();
    const rttMs = await roundTrip(emulator);
    return {
      ms,
      cutOverMs,
      rttMs,
      idealMs: BOOT_TIME_MS + 4 * rttMs,
      parkedState,
      batches: prepared.plan.batches.length,
      machines: prepared.plan.machines.length,
      requests: log.length,
      perMachine: mostPerMachine(log),
      rateLimited: after.rateLimited - before.rateLimited,
      breakdown: breakdownOf(log),
    };
  } finally {
    await emulator.close();
  }
}

function summarizeStates(states) {
  const counts = new Map();
  for (const state of states) counts.set(state, (counts.get(state) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([state, count]) => `${state} ${count}`)
    .join(", ");
}

/** The most requests whose path names one machine. */
function mostPerMachine(log) {
  const byMachine = new Map();
  for (const entry of log) {
    const id = /\/machines\/([^/?]+)/.exec(entry.path)?.[1];
    if (id) byMachine.set(id, (byMachine.get(id) ?? 0) + 1);
  }
  return Math.max(0, ...byMachine.values());
}

function breakdownOf(log) {
  const byOperation = new Map();
  for (const entry of log)
    byOperation.set(entry.operation, (byOperation.get(entry.operation) ?? 0) + 1);
  const parts = [...byOperation]
    .sort((a, b) => b[1] - a[1])
    .map(([operation, count]) => `${operation.replace(/^machines\./, "")} ${count}`);
  return `${log.length} requests (${parts.join(", ")})`;
}

/** Median round trip of a small, unlimited request (the current release), after one to open the connection. */
async function roundTrip(emulator) {
  const url = `${emulator.url}/api/v1/apps/${emulator.app}/releases/current`;
  const headers = { authorization: `Bearer ${emulator.token}` };
  const times = [];
  for (let i = 0; i < 6; i++) {
    const start = process.hrtime.bigint();
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    if (i > 0) times.push(msSince(start));
  }
  return median(times);
}
