import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "core",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // One module graph per worker, not per file, as the CLI's. The redaction list is process-wide, so
    // every token a test registers ends in characters no expected text contains (the emulator's default
    // tokens do), or a later file's output would show "[REDACTED]" where a word was.
    isolate: false,
  },
});
