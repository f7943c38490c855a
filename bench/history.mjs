// History at scale: an app with 10,000 releases and 500 machines, 60 ms per request. Fly pages releases by
// cursor, so a cold load costs one round trip per page: the figure that matters is how close semfly gets to
// a bare script fetching the same pages, and how few requests a warm (cached) load needs. Labels are on:
// one deploy in five is tagged only `deployment-<ULID>` (its version in the OCI label), and one release
// in nine is a secrets change recorded without an image. `status` must not page at all.
import { join } from "node:path";
import {
  DEFAULT_RELEASES_PAGE_SIZE,
  IMAGE_CHECK_LIMIT,
  LABEL_BATCH_SIZE,
} from "../packages/core/dist/index.js";
import { BenchEmulator } from "./lib/emulator.mjs";
import { interleave, row, tempDir } from "./lib/runner.mjs";
import { bareArgs, CLI, CORE_PROBE, runCounted } from "./lib/versions.mjs";

export const name = "History at scale";

/** @param {{smoke: boolean, iterations: (full: number, smoke: number) => number, log: (line: string) => void}} ctx */
export async function run(ctx) {
  const size = ctx.smoke ? { releases: 1_000, machines: 50 } : { releases: 10_000, machines: 500 };
  const shape = { labelOnlyEvery: 5, imagelessEvery: 9, keepImages: 200 };
  const label = `${size.releases.toLocaleString("en")} releases, ${size.machines} machines`;
  const rows = [];
  const home = tempDir("history");
  ctx.log(`emulator: ${label}`);
  // Rate limits off, as in start-up: runs follow each other faster than list-machines' 1/s.
  const emulator = await BenchEmulator.start({ large: { ...size, ...shape }, rateLimits: false });
  try {
    const envFor = (cacheDir) =>
      emulator.childEnv({ HOME: home.dir, XDG_CACHE_HOME: join(home.dir, cacheDir) });
    const options = (cacheDir) => ({ env: envFor(cacheDir), cwd: home.dir });
    let coldRuns = 0;
    const freshCache = () => options(`cold-${coldRuns++}`);
    const cli = [CLI, "versions", "--json"];
    const core = [CORE_PROBE];
    const allPages = () => runCounted(emulator, bareArgs(emulator, null), freshCache());

    // ---- cold: no cache, every page. Both sides carry the peak-RSS probe (a --require of a few lines).
    const releases = await emulator.releaseCount();
    const pagesNeeded = Math.ceil(releases / DEFAULT_RELEASES_PAGE_SIZE) + 1;
    // Label-only images still in the registry (older ones are pruned, so Fly knows no digest to ask about).
    const deploys = Math.ceil(releases / 4);
    const labelBatches = Math.ceil(
      Math.ceil(Math.min(deploys, shape.keepImages) / shape.labelOnlyEvery) / LABEL_BATCH_SIZE,
    );
    const rssFile = join(home.dir, "rss");
    const coldIterations = ctx.iterations(5, 2);
    ctx.log(`cold versions --json vs bare fetch of every page (${coldIterations} pairs)`);
    const cold = await interleave(
      coldIterations,
      () => runCounted(emulator, cli, freshCache(), rssFile),
      () => runCounted(emulator, bareArgs(emulator, null), freshCache(), rssFile),
      { warmup: 0 },
    );
    rows.push(
      row({
        scenario: name,
        figure: `cold versions --json (${label})`,
        unit: "ms",
        samples: cold.a.map((s) => s.ms),
        baseline: { name: "bare fetch, same pages", samples: cold.b.map((s) => s.ms) },
        target: { max: 1.3, of: "ratio", label: "≤ 1.3× bare fetch" },
      }),
      row({
        scenario: name,
        figure: "cold versions --json: requests",
        unit: "count",
        samples: cold.a.map((s) => s.requests.total),
        baseline: { name: "bare fetch", samples: cold.b.map((s) => s.requests.total) },
        // The rollbackable marker asks the registry about at most IMAGE_CHECK_LIMIT versions (one HEAD each,
        // 4 at a time), once: their answers are cached by digest, so a warm run asks none of them again.
        target: {
          max: pagesNeeded + labelBatches + IMAGE_CHECK_LIMIT,
          of: "value",
          label: `≤ ${pagesNeeded + labelBatches + IMAGE_CHECK_LIMIT} (${pagesNeeded - 1} release pages + machines + ${labelBatches} label batch${labelBatches === 1 ? "" : "es"} + ≤ ${IMAGE_CHECK_LIMIT} image checks)`,
        },
      }),
      row({
        scenario: name,
        figure: "cold versions --json: release pages",
        unit: "count",
        samples: cold.a.map((s) => s.requests.releasePages),
        baseline: { name: "bare fetch", samples: cold.b.map((s) => s.requests.releasePages) },
        target: {
          max: pagesNeeded - 1,
          of: "value",
          label: `= ${pagesNeeded - 1}, as without labels`,
        },
      }),
      row({
        scenario: name,
        figure: "cold versions --json: peak RSS",
        unit: "MB",
        samples: cold.a.map((s) => s.rssMb),
        baseline: { name: "bare fetch", samples: cold.b.map((s) => s.rssMb) },
        target: { max: 150, of: "value", label: "≤ 150 MB" },
      }),
    );

    const coreColdIterations = ctx.iterations(2, 1);
    ctx.log(`cold load through core, no CLI (${coreColdIterations} pairs)`);
    const coreCold = await interleave(
      coreColdIterations,
      () => runCounted(emulator, core, freshCache()),
      allPages,
      { warmup: 0 },
    );
    rows.push(
      row({
        scenario: name,
        figure: "cold load via core (no CLI start-up)",
        unit: "ms",
        samples: coreCold.a.map((s) => s.ms),
        baseline: { name: "bare fetch, same pages", samples: coreCold.b.map((s) => s.ms) },
        note: `requests: ${Math.max(...coreCold.a.map((s) => s.requests.total))}`,
      }),
    );

    // ---- status: the machines and only the releases they run, whatever the history's length.
    const statusIterations = ctx.iterations(5, 1);
    ctx.log(`cold status --json (${statusIterations} runs)`);
    const status = [];
    for (let i = 0; i < statusIterations; i++) {
      status.push(await runCounted(emulator, [CLI, "status", "--json"], freshCache()));
    }
    rows.push(
      row({
        scenario: name,
        figure: `cold status --json (${label})`,
        unit: "ms",
        samples: status.map((s) => s.ms),
      }),
      row({
        scenario: name,
        figure: "cold status --json: requests",
        unit: "count",
        samples: status.map((s) => s.requests.total),
        target: { max: 3, of: "value", label: "≤ 3" },
      }),
    );

    // ---- warm: a cache from an earlier run; one new release since then (what a user sees after a deploy)
    const warmRow = async (figure, args, cacheDir, iterations) => {
      await runCounted(emulator, args, options(cacheDir)); // fills the cache (if the command keeps one)
      let pages = 1;
      const warm = await interleave(
        iterations,
        async () => {
          await emulator.addRelease({ reason: "scale", description: "Scaled app" });
          const sample = await runCounted(emulator, args, options(cacheDir));
          pages = Math.max(1, sample.requests.releasePages);
          return sample;
        },
        // The baseline fetches as many pages as the command just did.
        () => runCounted(emulator, bareArgs(emulator, pages), options("bare")),
        { warmup: 0 },
      );
      rows.push(
        row({
          scenario: name,
          figure,
          unit: "ms",
          samples: warm.a.map((s) => s.ms),
          baseline: { name: "bare fetch, same pages", samples: warm.b.map((s) => s.ms) },
        }),
        row({
          scenario: name,
          figure: `${figure}: requests`,
          unit: "count",
          samples: warm.a.map((s) => s.requests.total),
          baseline: { name: "bare fetch", samples: warm.b.map((s) => s.requests.total) },
          target: { max: 3, of: "value", label: "≤ 3" },
        }),
      );
      return warm;
    };

    const warmCliIterations = ctx.iterations(5, 1);
    ctx.log(`warm versions --json, CLI (${warmCliIterations} pairs)`);
    await warmRow("warm versions --json (CLI)", cli, "warm-cli", warmCliIterations);

    const warmCoreIterations = ctx.iterations(10, 2);
    ctx.log(`warm load through core + file cache (${warmCoreIterations} pairs)`);
    await warmRow("warm load via core + file cache", core, "warm-core", warmCoreIterations);
  } finally {
    await emulator.close();
    home.remove();
  }
  return rows;
}
