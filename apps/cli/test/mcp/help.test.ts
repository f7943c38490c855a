// @module-tag slow: a child process (the built CLI).
import { describe, expect, it } from "vitest";
import { runCli } from "../reliability/cli.js";

const TOOLS = [
  "list_versions",
  "status",
  "diff_versions",
  "show_config",
  "preflight",
  "plan_rollback",
  "plan_deploy",
  "plan_promote",
  "execute_plan",
];

describe("semfly mcp --help", () => {
  it("names every tool the server offers, and says --json has no effect on it", async () => {
    const run = await runCli(["mcp", "--help"], { env: { COLUMNS: "1000", NO_COLOR: "1" } });
    expect(run.code).toBe(0);
    for (const tool of TOOLS) expect(run.stdout).toContain(tool);
    expect(run.stdout).toMatch(/-j, --json +No effect on the server: stdout is MCP's/);
    expect(run.stdout).toContain("MCP plans always redeploy");
  });
});
