// @module-tag slow: a child process per test (the built CLI serving MCP over stdio).
import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SECRET_TOKEN } from "../helpers.js";
import {
  D12,
  type McpSession,
  machineDigests,
  startMcp,
  startMcpEmulator,
  structured,
  textOf,
} from "./harness.js";

let emulator: Emulator;
let session: McpSession | undefined;
beforeEach(async () => {
  emulator = await startMcpEmulator();
});
afterEach(async () => {
  await session?.close();
  session = undefined;
  await emulator.close();
});

describe("semfly mcp --read-only", () => {
  it("offers only the read tools and refuses the change tools", async () => {
    session = await startMcp(emulator, ["--read-only"]);
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "diff_versions",
      "list_versions",
      "preflight",
      "show_config",
      "status",
    ]);
    for (const name of ["plan_rollback", "plan_deploy", "plan_promote", "execute_plan"]) {
      const result = await session.call(name, { target: "3.1.11", plan_id: "plan_0" });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`Tool ${name} not found`);
    }
    // The preflight of a rollback still answers: planned, checked, and not kept.
    const preflight = await session.call("preflight", { target: "3.1.11" });
    expect(preflight.isError).toBeFalsy();
    expect(structured(preflight)).toMatchObject({ planId: null, plan: { to: "3.1.11" } });
    expect(textOf(preflight)).toContain("Nothing was changed and no plan was kept.");
    expect(emulator.mutatingRequests()).toEqual([]);
    expect(machineDigests(emulator)).toEqual(Array(7).fill(D12));
  });
});

describe("semfly mcp and the token", () => {
  it("never shows the token in a result, an error or on stderr, even with --verbose", async () => {
    session = await startMcp(emulator, ["--verbose"]);
    await session.call("list_versions");
    await session.call("status", { app: "no-such-app" });
    await session.call("diff_versions", { a: "3.1.11" });
    await session.call("show_config", { version: "3.1.11" });
    await session.call("plan_rollback", { target: "nope" });
    await session.call("execute_plan", { plan_id: "plan_nope" });
    const { planId } = structured<{ planId: string }>(
      await session.call("plan_rollback", { target: "3.1.11" }),
    );
    const executed = await session.call("execute_plan", { plan_id: planId });
    expect(structured(executed)).toMatchObject({ status: "complete" });
    const unknownApp = session.results[1]!;
    expect(unknownApp.isError).toBe(true);
    expect(structured(unknownApp)).toMatchObject({ error: { code: "APP_NOT_FOUND" } });

    expect(session.results).toHaveLength(8);
    // --verbose logs every request to stderr: proof that requests were logged, and redacted.
    expect(session.stderr()).toContain("semfly:http");
    for (const text of [JSON.stringify(session.results), session.stderr()]) {
      expect(text).not.toContain(SECRET_TOKEN);
      expect(text).not.toContain("SENTINEL");
    }
  });
});
