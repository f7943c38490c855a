// Rollout: a rollback of 300 machines in 3 regions (boot time 1 s), driven through core's prepareRollback +
// executeRollout with a real client over the emulator: 60 ms per request, Fly's Machines API rate limits on.
// Wall time is compared with the ideal, batches × (boot time + 3 round trips: lease, update, confirm), where
// the round trip is measured on the same emulator right after each rollout (A B A B …).
import { createFlyClient, executeRollout, prepareRollback } from "../packages/core/dist/index.js";
import { BenchEmulator } from "./lib/emulator.mjs";
import { median, msSince, row } from "./lib/runner.mjs";

export const name = "Rollout";

const BOOT_TIME_MS = 1_000;
const REGIONS = ["ams", "iad", "sin"];

/** @param {{smoke: boolean, iterations: (full: number, smoke: number) => number, log: (line: string) => void}} ctx */
export async function run(ctx) {
  const machines = ctx.smoke ? 30 : 300;
  const rows = [];
  for (const strategy of ["rolling", "immediate"]) {
    const iterations = ctx.iterations(5, 1);
    ctx.log(`${strategy}: ${machines} machines in ${REGIONS.length} regions (${iterations} runs)`);
    const samples = [];
    for (let i = 0; i < iterations; i++) samples.push(await rolloutOnce(strategy, machines));
    const figure = `${strategy}${strategy === "rolling" ? " 0.33" : ""}, ${machines} machines`;
    const last = samples[samples.length - 1];
    rows.push(
      row({
        scenario: name,
        figure: `${figure}: wall time`,
        unit: "ms",
        samples: samples.map((s) => s.ms),
        baseline: {
          name: `ideal ${last.batches}×(${BOOT_TIME_MS}+3×${Math.round(median(samples.map((s) => s.rttMs)))})`,
          samples: samples.map((s) => s.idealMs),
        },
        target: { max: 1.15, of: "ratio", label: "≤ 1.15× ideal" },
        note: `${phaseNote(samples)}; ${last.breakdown}`,
      }),
      row({
        scenario: name,
        figure: `${figure}: requests per machine`,
        unit: "count",
        samples: samples.map((s) => s.requests / s.machines),
        target: { max: 6, of: "value", label: "≤ 6" },
      }),
      row({
        scenario: name,
        figure: `${figure}: 429s received`,
        unit: "count",
        samples: samples.map((s) => s.rateLimited),
        target: { max: 0, of: "value", label: "0" },
      }),
    );
  }
  return rows;
}

async function rolloutOnce(strategy, machines) {
  const emulator = await BenchEmulator.start({
    large: { app: "bench-rollout", releases: 40, machines, regions: REGIONS, deployEvery: 4 },
    bootTimeMs: BOOT_TIME_MS,
    // The ideal counts the boot only: checks report as the machine starts.
    checkDelayMs: 0,
    rateLimits: true,
  });
  try {
    const url = emulator.url;
    const client = createFlyClient({
      token: emulator.token,
      apiBaseUrl: url,
      flapsBaseUrl: url,
      uiexBaseUrl: url,
    });
    await emulator.clearRequestLog();
    const before = await emulator.counters();
    const prepared = await prepareRollback(client, emulator.app, {
      target: { spec: "previous" },
      strategy,
      maxUnavailable: 0.33,
    });
    const start = process.hrtime.bigint();
    // Where the time goes: before the first batch (image check, leases, release record), the batches
    // (first update to last machine healthy), and after (final status, lease release).
    let firstBatch = 0;
    let lastHealthy = 0;
    const result = await executeRollout(client, prepared.plan, {
      // The crash watch (flyctl's smoke check: a machine's events are read for 10 s after it starts) is
      // a deliberate wait, not overhead; the ideal does not count it, so the bench reads events once.
      timing: { crashWatchMs: 0 },
      onEvent: (event) => {
        if (event.type === "batch-started" && event.index === 0) firstBatch = msSince(start);
        if (event.type === "checks-passing") lastHealthy = msSince(start);
      },
    });
    const ms = msSince(start);
    if (result.status !== "complete") {
      throw new Error(`${strategy} rollout ended ${result.status}: ${result.reason}`);
    }
    const log = await emulator.requestLog();
    const after = await emulator.counters();
    const rttMs = await roundTrip(emulator);
    const batches = prepared.plan.batches.length;
    const byOperation = new Map();
    for (const entry of log)
      byOperation.set(entry.operation, (byOperation.get(entry.operation) ?? 0) + 1);
    const breakdown = [...byOperation]
      .sort((a, b) => b[1] - a[1])
      .map(([operation, count]) => `${operation.replace(/^machines\./, "")} ${count}`)
      .join(", ");
    return {
      ms,
      batches,
      rttMs,
      idealMs: batches * (BOOT_TIME_MS + 3 * rttMs),
      machines: prepared.plan.machines.length,
      requests: log.length,
      rateLimited: after.rateLimited - before.rateLimited,
      phases: { before: firstBatch, batches: lastHealthy - firstBatch, after: ms - lastHealthy },
      breakdown: `${log.length} requests (${breakdown})`,
    };
  } finally {
    await emulator.close();
  }
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

/** Medians of the three phases, against what the ideal allows the batches. */
function phaseNote(samples) {
  const phase = (key) => Math.round(median(samples.map((s) => s.phases[key])));
  const last = samples[samples.length - 1];
  const perBatch = Math.round(phase("batches") / last.batches);
  return `before the first batch ${phase("before")} ms (image check, ${last.machines} leases, release record), batches ${phase("batches")} ms (${perBatch} ms each), after ${phase("after")} ms (final status, lease release)`;
}
