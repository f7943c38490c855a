import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "fly-emulator",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // One module graph per worker: each test starts its own emulator, and nothing is shared or mocked.
    isolate: false,
  },
});
