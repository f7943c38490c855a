import { defineConfig } from "vitest/config";

// One run over every package; each package's own vitest.config.ts names its project.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    // Builds the CLI bundle and the emulator first (turbo, cached): no run can test a stale bundle.
    globalSetup: ["scripts/build-for-tests.mjs"],
    // `pnpm test:fast` skips tests tagged slow (`// @module-tag slow` at the top of a file, or
    // `{ tags: ["slow"] }` on a test); `pnpm test:unit` runs them all.
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
