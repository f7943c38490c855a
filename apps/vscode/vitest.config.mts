import { defineProject } from "vitest/config";

// Unit tests only: pure logic that runs without the `vscode` module. The integration and UI suites
// run inside a real VS Code (see test/harness).
export default defineProject({
  test: { name: "vscode", include: ["test/unit/**/*.test.ts"] },
});
