import { defineConfig } from "vitest/config";

// What ships, as a user gets it: the npm tarball installed with npm (apps/cli/test/e2e). Run by `pnpm test:e2e`
// after a build; not part of `pnpm test:unit`, which must stay fast. CI totals the report with the others.
export default defineConfig({
  test: {
    name: "e2e",
    include: ["apps/*/test/e2e/**/*.e2e.ts"],
    // Builds the CLI bundle and the emulator first (turbo, cached): no run can test a stale bundle.
    globalSetup: ["scripts/build-for-tests.mjs"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ["default", ["json", { outputFile: ".test-results/e2e.json" }]],
  },
});
