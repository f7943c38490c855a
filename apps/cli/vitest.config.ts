import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";

export default defineProject({
  // In-process tests run the CLI from source (test/helpers.ts), and core from source with it; the
  // child-process tests run the bundle, which the root config's globalSetup builds first.
  resolve: {
    // Exact matches, so the `@semfly/core/duration` subpath maps to its own source file.
    alias: [
      {
        find: /^@semfly\/core$/,
        replacement: fileURLToPath(new URL("../../packages/core/src/index.ts", import.meta.url)),
      },
      {
        find: /^@semfly\/core\/duration$/,
        replacement: fileURLToPath(new URL("../../packages/core/src/duration.ts", import.meta.url)),
      },
      {
        find: /^@semfly\/core\/label$/,
        replacement: fileURLToPath(
          new URL("../../packages/core/src/versions/label.ts", import.meta.url),
        ),
      },
    ],
  },
  test: {
    name: "cli",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // One module graph per worker, not per file: loading oclif and core's source again for every file
    // cost more than most files' tests. Safe here: each test restores the env, cwd and TTY flags it sets
    // (test/helpers.ts) and nothing is mocked.
    isolate: false,
  },
});
