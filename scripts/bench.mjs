#!/usr/bin/env node
// `pnpm bench` (full) and `pnpm bench:smoke` (few iterations, small sizes, for CI): every benchmark against
// the Fly emulator, one table, and the results as JSON in bench-results/ (latest.json plus a timestamped
// copy). Misses are reported, never fatal: the exit code is 1 only when a scenario crashes.
//
//   node scripts/bench.mjs [--smoke] [--only startup,history,rollout,instant,extension] [--compare <file.json>]
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as extension from "../bench/extension.mjs";
import * as history from "../bench/history.mjs";
import * as instant from "../bench/instant.mjs";
import { LATENCY_MS } from "../bench/lib/emulator.mjs";
import { errorRow } from "../bench/lib/runner.mjs";
import { readResults, renderTable, writeResults } from "../bench/lib/table.mjs";
import * as rollout from "../bench/rollout.mjs";
import * as startup from "../bench/startup.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SCENARIOS = { startup, history, rollout, instant, extension };

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    compare: { type: "string" },
    out: { type: "string", default: join(root, "bench-results") },
  },
});

const selected = values.only ? values.only.split(",").map((s) => s.trim()) : Object.keys(SCENARIOS);
for (const key of selected) {
  if (!SCENARIOS[key]) {
    process.stderr.write(
      `bench: unknown scenario "${key}" (have: ${Object.keys(SCENARIOS).join(", ")})\n`,
    );
    process.exit(2);
  }
}
for (const built of [
  "packages/core/dist/index.js",
  "packages/fly-emulator/dist/index.js",
  "apps/cli/dist/commands/versions.js",
]) {
  if (!existsSync(join(root, built))) {
    process.stderr.write(
      `bench: ${built} is missing; run \`pnpm build\` first (pnpm bench does).\n`,
    );
    process.exit(1);
  }
}

const previous = values.compare ? readResults(resolve(values.compare)).results : undefined;
const startedAt = new Date();
const log = (line) => process.stderr.write(`  ${line}\n`);
const ctx = {
  smoke: values.smoke,
  root,
  /** Iterations for this mode: the full count, or the smoke pass's few. */
  iterations: (full, smoke) => (values.smoke ? smoke : full),
  log,
};

process.stderr.write(
  `semfly bench (${values.smoke ? "smoke" : "full"}): ${selected.join(", ")}; node ${process.version}, ${cpus().length} cores, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}\n`,
);
const results = [];
let crashed = false;
for (const key of selected) {
  const scenario = SCENARIOS[key];
  const start = process.hrtime.bigint();
  process.stderr.write(`▶ ${scenario.name}\n`);
  try {
    results.push(...(await scenario.run(ctx)));
  } catch (error) {
    crashed = true;
    process.stderr.write(`✖ ${scenario.name} crashed: ${error?.stack ?? error}\n`);
    results.push(errorRow(scenario.name, error));
  }
  process.stderr.write(`  (${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s)\n`);
}
const finishedAt = new Date();

const table = renderTable(results, { previous });
process.stdout.write(`\n${table}\n\n`);

const report = {
  suite: "semfly bench",
  smoke: values.smoke,
  startedAt: startedAt.toISOString(),
  finishedAt: finishedAt.toISOString(),
  durationSeconds: (finishedAt - startedAt) / 1000,
  machine: {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    loadAverage: loadavg(),
  },
  git: gitInfo(),
  scenarios: selected,
  settings: { latencyMsPerRequest: LATENCY_MS },
  results,
};
const written = writeResults(values.out, report);
const counts = { pass: 0, miss: 0, info: 0, error: 0 };
for (const r of results) counts[r.result]++;
process.stdout.write(
  `${counts.pass} targets met, ${counts.miss} missed, ${counts.error} crashed; ${report.durationSeconds.toFixed(0)} s. Results: ${written.latest} (and ${written.copy})\n`,
);
process.exit(crashed ? 1 : 0);

function gitInfo() {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain"], { cwd: root, encoding: "utf8" }).trim() !== "";
    return { commit, dirty };
  } catch {
    return null;
  }
}
