#!/usr/bin/env node
// The long form of the reliability suites. `pnpm test` runs the fault matrix over a dozen seeds and the
// CLI crash suite over a handful of kill points; this runs the same suites over hundreds, so a rare
// interleaving has a chance to show up. Every failure names its seed; `--seeds` replays it.
//
//   pnpm test:soak                          fault matrix, seeds 1-200, 10% faults on every endpoint
//   pnpm test:soak --runs 500 --from 1000   seeds 1000-1499
//   pnpm test:soak --seeds 95,132           replay the seeds a failure printed
//   pnpm test:soak --rate 0.25              a harsher fault mix
//   pnpm test:soak --crash 1-40             also the CLI SIGKILL suite over kill points 1-40 (builds first)
//   pnpm test:soak --overlaps 10            the overlap and lost-answer suites 10 times (default 3; 0 skips)
//
// The suites are packages/core/test/reliability/fault-matrix.test.ts (whose fault mix includes answers lost
// after Fly applied the request), overlaps.test.ts and lost-answers.test.ts (timing-dependent, so repeated),
// and apps/cli/test/reliability/crash.test.ts; this script only chooses their seeds and sums them up.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = `usage: node scripts/fault-soak.mjs [--runs N] [--from SEED] [--seeds LIST] [--rate R] [--crash LIST]

  --runs N       how many fault-matrix seeds (default 200)
  --from SEED    the first seed (default 1)
  --seeds LIST   exact seeds instead, e.g. 95,132 or 1-50,77
  --rate R       share of requests that meet a fault, 0 to 1 (default 0.1)
  --crash LIST   also run the CLI crash suite over these kill-point seeds, e.g. 1-40
  --overlaps N   run the overlap and lost-answer suites N times (default 3; 0 skips them)
  --no-matrix    skip the fault matrix (with --crash: crash suite only)`;

function fail(message) {
  process.stderr.write(`fault-soak: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      runs: { type: "string" },
      from: { type: "string" },
      seeds: { type: "string" },
      rate: { type: "string" },
      crash: { type: "string" },
      overlaps: { type: "string" },
      "no-matrix": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (error) {
  fail(error.message);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const wholeNumber = (text, name) => {
  if (!/^\d+$/.test(text)) fail(`--${name} expects a whole number, got "${text}"`);
  return Number(text);
};
const seedList = (text, name) => {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text.replace(/\s+/g, ""))) {
    fail(`--${name} expects seeds like 95,132 or 1-200, got "${text}"`);
  }
  return text.replace(/\s+/g, "");
};

const runs = args.runs === undefined ? 200 : wholeNumber(args.runs, "runs");
const from = args.from === undefined ? 1 : wholeNumber(args.from, "from");
const seeds = args.seeds ? seedList(args.seeds, "seeds") : `${from}-${from + runs - 1}`;
const rate = args.rate === undefined ? "0.1" : args.rate;
if (!(Number(rate) >= 0 && Number(rate) < 1))
  fail(`--rate expects a fraction below 1, got "${rate}"`);
if (args.seeds && (args.runs || args.from)) fail("pass either --seeds or --runs/--from, not both");

const reports = join(root, ".cache", "soak");
mkdirSync(reports, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");

/**
 * Run one suite under vitest with the given env; return {ok, passed, failed, failures, seconds}. It runs
 * with the root config (which defines the `slow` tag the suites carry), and its own reporters, so that its
 * report goes to .cache/soak and .test-results/ (what `pnpm test` totals) is left alone.
 */
function soak(name, packageDir, filter, env) {
  const filters = (Array.isArray(filter) ? filter : [filter]).map((f) => `${packageDir}/${f}`);
  const report = join(reports, `${name}-${stamp}.json`);
  const started = Date.now();
  console.log(
    `\n▶ ${name}: ${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
  );
  const run = spawnSync("pnpm", ["exec", "vitest", "run", ...filters], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env, SEMFLY_VITEST_REPORT: report },
  });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  if (!existsSync(report))
    return { ok: false, passed: 0, failed: 0, failures: [], seconds, report };
  const data = JSON.parse(readFileSync(report, "utf8"));
  const failures = data.testResults
    .flatMap((file) => file.assertionResults)
    .filter((test) => test.status === "failed")
    .map((test) => ({
      seed: /seed (\d+)/.exec(test.title)?.[1] ?? "?",
      why: (test.failureMessages[0] ?? "").split("\n")[0].slice(0, 400),
    }));
  return {
    ok: run.status === 0,
    passed: data.numPassedTests,
    failed: data.numFailedTests,
    failures,
    seconds,
    report,
  };
}

const results = [];
if (!args["no-matrix"]) {
  results.push([
    "fault matrix",
    soak("fault-matrix", "packages/core", "test/reliability/fault-matrix", {
      SEMFLY_FAULT_SEEDS: seeds,
      SEMFLY_FAULT_RATE: rate,
    }),
    (seed) => `pnpm test:soak --seeds ${seed}${args.rate ? ` --rate ${rate}` : ""}`,
  ]);
}
const overlapRounds = args.overlaps === undefined ? 3 : wholeNumber(args.overlaps, "overlaps");
for (let round = 1; round <= overlapRounds; round++) {
  results.push([
    `overlaps and lost answers, round ${round}`,
    soak(
      `overlaps-${round}`,
      "packages/core",
      ["test/reliability/overlaps", "test/reliability/lost-answers"],
      {},
    ),
    () =>
      "pnpm exec vitest run packages/core/test/reliability/overlaps.test.ts packages/core/test/reliability/lost-answers.test.ts",
  ]);
}
if (args.crash) {
  const crashSeeds = seedList(args.crash, "crash");
  // The crash suite runs the built CLI.
  const build = spawnSync("pnpm", ["build", "--output-logs=errors-only"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
  });
  if (build.status !== 0) fail("the build failed; the crash suite needs the built CLI");
  results.push([
    "CLI crash (SIGKILL)",
    soak("crash", "apps/cli", "test/reliability/crash", { SEMFLY_CRASH_SEEDS: crashSeeds }),
    (seed) => `pnpm test:soak --no-matrix --crash ${seed}`,
  ]);
}

console.log("\n── fault soak ──");
let ok = true;
for (const [name, result, replay] of results) {
  ok &&= result.ok;
  console.log(
    `${result.ok ? "✓" : "✖"} ${name}: ${result.passed} passed, ${result.failed} failed in ${result.seconds}s (report: ${result.report})`,
  );
  for (const failure of result.failures) {
    console.log(`    seed ${failure.seed}: ${failure.why}`);
    console.log(`      replay: ${replay(failure.seed)}`);
  }
}
process.exit(ok ? 0 : 1);
