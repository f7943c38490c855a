// @module-tag slow: a child process per test (the built CLI serving MCP over stdio).
import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  APP,
  D11,
  type McpSession,
  startMcp,
  startMcpEmulator,
  structured,
  textOf,
} from "./harness.js";

const READ_TOOLS = ["diff_versions", "list_versions", "preflight", "show_config", "status"];
const CHANGE_TOOLS = ["execute_plan", "plan_deploy", "plan_promote", "plan_rollback"];

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

describe("semfly mcp: tools", () => {
  it("lists the read tools and the two-step change tools, with input schemas", async () => {
    session = await startMcp(emulator);
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...CHANGE_TOOLS, ...READ_TOOLS].sort());
    const byName = new Map(tools.map((t) => [t.name, t]));
    const rollback = byName.get("plan_rollback")!;
    expect(Object.keys(rollback.inputSchema.properties ?? {}).sort()).toEqual(
      [
        "app",
        "freeze",
        "lease_ttl_seconds",
        "max_unavailable",
        "reason",
        "release",
        "revert",
        "strategy",
        "target",
        "wait_timeout_seconds",
        "with_config",
      ].sort(),
    );
    expect(rollback.inputSchema.properties?.strategy).toMatchObject({
      enum: ["rolling", "canary", "immediate"],
    });
    expect(byName.get("plan_deploy")!.inputSchema.required?.sort()).toEqual(["image", "version"]);
    expect(byName.get("plan_promote")!.inputSchema.required?.sort()).toEqual(["from", "version"]);
    expect(byName.get("execute_plan")!.inputSchema.required).toEqual(["plan_id"]);
    expect(byName.get("diff_versions")!.inputSchema.required).toEqual(["a"]);
    expect(byName.get("show_config")!.inputSchema.required).toEqual(["version"]);
    for (const name of READ_TOOLS) expect(byName.get(name)!.annotations?.readOnlyHint).toBe(true);
    expect(byName.get("execute_plan")!.annotations?.destructiveHint).toBe(true);
  });

  it("answers list_versions and status with the CLI's --json shapes and a text summary", async () => {
    session = await startMcp(emulator);
    const versions = await session.call("list_versions");
    expect(versions.isError).toBeFalsy();
    const list = structured<{
      app: string;
      versions: { version: string; current: boolean; rollbackable?: { state: string } }[];
    }>(versions);
    expect(list.app).toBe(APP);
    expect(list.versions.find((v) => v.current)?.version).toBe("3.1.12");
    // Whether each version can still be restored, as `semfly versions --json` says it.
    expect(list.versions.map((v) => [v.version, v.rollbackable?.state])).toEqual([
      ["3.1.12", "restorable"],
      ["3.1.11", "restorable"],
      ["3.1.10", "restorable"],
      ["3.1.9", "restorable"],
    ]);
    expect(textOf(versions).split("\n")[0]).toMatch(/^acme-web: \d+ versions, live 3\.1\.12\.$/);

    const status = await session.call("status");
    const body = structured<{ version: string; drift: boolean; machines: unknown[] }>(status);
    expect(body).toMatchObject({ app: APP, version: "3.1.12", drift: false, driftGroups: [] });
    expect(body.machines).toHaveLength(7);
    expect(textOf(status)).toContain("Version:  3.1.12");
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("reports drift in status once a machine runs another version", async () => {
    const [first] = emulator.machines(APP);
    session = await startMcp(emulator);
    // Half a rollout, by hand: one machine on 3.1.11.
    const updated = await fetch(`${emulator.url}/v1/apps/${APP}/machines/${first!.id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        config: { ...first!.config, image: `registry.fly.io/acme-web@${D11}` },
      }),
    });
    expect(updated.status).toBe(200);
    await emulator.idle();
    const status = structured<{ version: string | null; drift: boolean; driftGroups: unknown[] }>(
      await session.call("status"),
    );
    expect(status.drift).toBe(true);
    expect(status.version).toBeNull();
    expect(status.driftGroups).toHaveLength(1);
  });

  it("compares two versions and shows the machine config a version ran", async () => {
    session = await startMcp(emulator);
    const diff = await session.call("diff_versions", { a: "3.1.11" });
    expect(diff.isError).toBeFalsy();
    expect(structured(diff)).toMatchObject({
      app: APP,
      a: { version: "3.1.11" },
      b: { version: "3.1.12", live: true },
    });
    const config = await session.call("show_config", { version: "live" });
    expect(config.isError).toBeFalsy();
    const shown = structured<{ version: string; config: { image: string } | null }>(config);
    expect(shown.version).toBe("3.1.12");
    expect(shown.config?.image).toContain("acme-web");
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("answers a bad request with the CLI's one-line error and suggestion", async () => {
    session = await startMcp(emulator);
    const result = await session.call("plan_rollback", { target: "9.9.9" });
    expect(result.isError).toBe(true);
    const { error } = structured<{ error: { code: string; message: string; suggestion: string } }>(
      result,
    );
    expect(error.code).toBe("NEVER_DEPLOYED");
    expect(error.message).not.toContain("\n");
    expect(textOf(result)).toBe(`Error: ${error.message}\n  ${error.suggestion}`);
    expect(textOf(result)).not.toMatch(/\bat .*\.js:\d+/);
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("refuses an argument outside a tool's schema in one line, and changes nothing", async () => {
    session = await startMcp(emulator);
    const result = await session.call("plan_rollback", { target: "3.1.11", strategy: "bluegreen" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /^[^\n]*Invalid arguments for tool plan_rollback: [^\n]*strategy$/,
    );
    const count = await session.call("plan_rollback", { target: "3.1.11", max_unavailable: 1.5 });
    expect(structured(count)).toMatchObject({ error: { code: "INVALID_MAX_UNAVAILABLE" } });
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
