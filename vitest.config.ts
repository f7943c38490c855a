import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// One run over every package; each package's own vitest.config.ts names its project.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    // Builds the CLI bundle and the emulator first (turbo, cached): no run can test a stale bundle.
    globalSetup: ["scripts/build-for-tests.mjs"],
    // At least two workers: vitest's default (cores - 1) is one on a 2-core machine, and the suites mostly
    // wait. Not more for `pnpm test:slow` (and a whole `vitest run`): several slow suites race a child
    // process's start-up against a rollout and lose on a starved machine (seen with 4 workers at load 12).
    // The unit loop (`pnpm test:unit`) has none of those and runs on 4 (40 s against 60 s on 2, measured
    // back to back at load 3-6).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // `pnpm test:unit` (the unit loop) skips tests tagged slow (`// @module-tag slow` at the top of a file,
    // or `{ tags: ["slow"] }` on a test); `pnpm test:slow` runs only those; `pnpm test` runs both.
    tags: [
      {
        name: "slow",
        description:
          "Seconds of real waiting each: child-process CLIs, fault matrices, the rollout engine's own timers.",
      },
    ],
    // CI runs the suite twice (Node 20, then 24) and totals both reports, so the file name can be set.
    reporters: [
      "default",
      ["json", { outputFile: process.env.SEMFLY_VITEST_REPORT ?? ".test-results/vitest.json" }],
    ],
  },
});
