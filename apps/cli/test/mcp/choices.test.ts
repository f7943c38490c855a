// @module-tag slow: a child process per test (the built CLI).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { semfly } from "../helpers.js";
import {
  APP,
  D11,
  D12,
  type McpSession,
  machineDigests,
  startMcp,
  startMcpEmulator,
  structured,
  textOf,
} from "./harness.js";

interface ErrorAnswer {
  error: { code: string; message: string; suggestion: string };
}

interface PlanAnswer {
  planId: string;
  execution: Record<string, unknown>;
  parked?: { set: string; machines: number } | null;
}

let emulator: Emulator | undefined;
let session: McpSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
  await emulator?.close();
  emulator = undefined;
});

const DEPLOY_320 = { version: "3.2.0", image: "registry.fly.io/acme-web:3.2.0" };
const addImage320 = (fly: Emulator) =>
  fly.addImage(APP, {
    ref: DEPLOY_320.image,
    labels: { "org.opencontainers.image.version": "3.2.0" },
  }).digest;

describe("semfly mcp: a rollback freezes the app as `semfly rollback --yes` does", () => {
  it("freezes the app on its target after a complete rollback, so the next deploy is refused", async () => {
    emulator = await startMcpEmulator();
    addImage320(emulator);
    session = await startMcp(emulator);
    const planned = await session.call("plan_rollback", {
      target: "3.1.11",
      strategy: "immediate",
    });
    expect(textOf(planned)).toContain(
      "Freeze: once complete, the app is frozen on 3.1.11, so deploys are refused until `semfly unfreeze` (freeze: false skips it).",
    );
    expect(structured<PlanAnswer>(planned).execution).toMatchObject({ freeze: true });
    const executed = await session.call("execute_plan", {
      plan_id: structured<PlanAnswer>(planned).planId,
    });
    expect(executed.isError).toBeFalsy();
    expect(structured(executed)).toMatchObject({
      status: "complete",
      to: "3.1.11",
      freeze: { reason: "rolled back from 3.1.12 to 3.1.11", holds: { version: "3.1.11" } },
    });
    expect(textOf(executed)).toContain(`Froze ${APP} `);
    expect(machineDigests(emulator)).toEqual(Array(7).fill(D11));

    const deploy = await session.call("plan_deploy", DEPLOY_320);
    expect(deploy.isError).toBe(true);
    expect(structured<ErrorAnswer>(deploy).error.code).toBe("FROZEN");
    expect(structured<ErrorAnswer>(deploy).error.message).toMatch(
      /^acme-web is frozen by .*: rolled back from 3\.1\.12 to 3\.1\.11$/,
    );
  });

  it("reports a freeze that cannot be written as an error after a rollback that stands", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator);
    const planned = await session.call("plan_rollback", {
      target: "3.1.11",
      strategy: "immediate",
    });
    // The freeze is a metadata key on each machine: Fly refuses every such write from here on.
    emulator.setFaults({
      rules: [{ operation: "machines.metadata.setKey", action: { type: "status", status: 500 } }],
    });
    const executed = await session.call("execute_plan", {
      plan_id: structured<PlanAnswer>(planned).planId,
    });
    expect(executed.isError).toBe(true);
    expect(structured(executed)).toMatchObject({
      status: "complete",
      freeze: null,
      freezeError: expect.any(String),
    });
    expect(textOf(executed)).toContain("Error: rolled back, but the freeze failed: ");
    expect(textOf(executed)).toContain(`Freeze it by hand: semfly freeze --app ${APP} --reason `);
    expect(machineDigests(emulator)).toEqual(Array(7).fill(D11));
  });

  it("leaves the app unfrozen when the rollback was planned with freeze false", async () => {
    emulator = await startMcpEmulator();
    addImage320(emulator);
    session = await startMcp(emulator);
    const planned = await session.call("plan_rollback", {
      target: "3.1.11",
      strategy: "immediate",
      freeze: false,
    });
    expect(textOf(planned)).toContain("Freeze: off (freeze: false)");
    const executed = await session.call("execute_plan", {
      plan_id: structured<PlanAnswer>(planned).planId,
    });
    expect(structured(executed)).toMatchObject({ status: "complete", freeze: null });
    const deploy = await session.call("plan_deploy", DEPLOY_320);
    expect(deploy.isError).toBeFalsy();
  });
});

describe("semfly mcp: semfly.toml gates", () => {
  it("names the gates of the server's semfly.toml in the plan, and a failing one fails and reverts the rollout", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator);
    const url = emulator.appUrl(APP, "/healthz");
    await writeFile(
      join(session.cwd, "semfly.toml"),
      `[verify]\n[[verify.probe]]\nurl = "${url}"\nbody = "no such body anywhere"\n`,
    );
    const planned = await session.call("plan_rollback", {
      target: "3.1.11",
      strategy: "immediate",
    });
    expect(planned.isError).toBeFalsy();
    expect(textOf(planned)).toContain(`Gates (${join(session.cwd, "semfly.toml")}): `);
    expect(textOf(planned)).toContain(url);
    expect(structured<PlanAnswer>(planned).execution).toMatchObject({
      gates: { probes: [expect.stringContaining(url)], metrics: [] },
    });
    const executed = await session.call("execute_plan", {
      plan_id: structured<PlanAnswer>(planned).planId,
    });
    expect(executed.isError).toBe(true);
    expect(structured(executed)).toMatchObject({ status: "failed", reverted: true });
    expect(machineDigests(emulator)).toEqual(Array(7).fill(D12));
  });

  it("says a plan without semfly.toml is judged by Fly's checks only", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator);
    const planned = await session.call("plan_rollback", { target: "3.1.11" });
    expect(textOf(planned)).toContain(
      `Gates: Fly's checks only (no gate in ${join(session.cwd, "semfly.toml")}).`,
    );
  });
});

describe("semfly mcp: execution choices", () => {
  it("refuses a lease TTL outside core's 5s..10m as input, changing nothing", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator);
    const { tools } = await session.client.listTools();
    for (const name of ["plan_rollback", "plan_deploy", "plan_promote"]) {
      const tool = tools.find((t) => t.name === name)!;
      expect(tool.inputSchema.properties?.lease_ttl_seconds).toMatchObject({
        minimum: 5,
        maximum: 600,
      });
    }
    for (const lease of [2, 4, 601, 3600]) {
      const result = await session.call("plan_rollback", {
        target: "3.1.11",
        lease_ttl_seconds: lease,
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(
        /^[^\n]*Invalid arguments for tool plan_rollback: [^\n]*lease_ttl_seconds$/,
      );
    }
    for (const lease of [5, 600]) {
      const result = await session.call("plan_rollback", {
        target: "3.1.11",
        lease_ttl_seconds: lease,
      });
      expect(result.isError).toBeFalsy();
      expect(structured<PlanAnswer>(result).execution).toMatchObject({ leaseTtlSeconds: lease });
    }
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("shows revert, wait timeout, lease TTL, strategy and freeze in the plan's text and structuredContent", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator);
    const off = await session.call("plan_rollback", {
      target: "3.1.11",
      revert: false,
      wait_timeout_seconds: 1,
    });
    expect(structured<PlanAnswer>(off).execution).toMatchObject({
      strategy: "rolling",
      revert: false,
      waitTimeoutSeconds: 1,
      leaseTtlSeconds: 30,
      freeze: true,
    });
    expect(textOf(off)).toContain(
      "Execution: strategy rolling; each machine may take 1s to start and pass its checks; leases of 30s.",
    );
    expect(textOf(off)).toContain(
      "Revert: off (revert: false): if a machine or a gate fails, the rollout stops and the changed machines stay as they are.",
    );
    // The preflight of the kept plan shows the same choices.
    const preflight = await session.call("preflight", {
      plan_id: structured<PlanAnswer>(off).planId,
    });
    expect(structured<PlanAnswer>(preflight).execution).toEqual(
      structured<PlanAnswer>(off).execution,
    );
    expect(textOf(preflight)).toContain("Revert: off (revert: false)");
    const defaults = await session.call("plan_rollback", {
      target: "3.1.11",
      strategy: "canary",
      lease_ttl_seconds: 13,
    });
    expect(structured<PlanAnswer>(defaults).execution).toMatchObject({
      strategy: "canary",
      revert: true,
      waitTimeoutSeconds: 300,
      leaseTtlSeconds: 13,
    });
    expect(textOf(defaults)).toContain(
      "Revert: on: if a machine or a gate fails, every changed machine is put back.",
    );
    // A deploy never freezes: the choice is not offered, and the plan says nothing of it.
    addImage320(emulator);
    const deploy = await session.call("plan_deploy", DEPLOY_320);
    expect(structured<PlanAnswer>(deploy).execution).toMatchObject({ freeze: null });
    expect(textOf(deploy)).not.toContain("Freeze:");

    const { tools } = await session.client.listTools();
    const execute = tools.find((t) => t.name === "execute_plan")!;
    expect(execute.description).toContain("unless the plan was made with revert false");
    expect(execute.description).not.toContain("puts every changed machine back if one fails");
  });

  it("runs a plan made with revert false without putting machines back", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator);
    const planned = await session.call("plan_rollback", {
      target: "3.1.11",
      revert: false,
      strategy: "immediate",
    });
    // Machines never start on the target: with revert on, every changed one would be put back.
    emulator.markImageNeverStarts("registry.fly.io/acme-web:v3.1.11", "fail");
    const executed = await session.call("execute_plan", {
      plan_id: structured<PlanAnswer>(planned).planId,
    });
    expect(executed.isError).toBe(true);
    expect(structured(executed)).toMatchObject({ status: "failed", reverted: false });
    expect(machineDigests(emulator)).toContain(D11);
  });
});

describe("semfly mcp: parked sets", () => {
  it("notes that the rollback's target is parked, and that the plan redeploys", async () => {
    emulator = await startMcpEmulator();
    addImage320(emulator);
    const deployed = await semfly(
      ["deploy", "3.2.0", "--image", DEPLOY_320.image, "--yes", "--strategy", "bluegreen"],
      emulator,
    );
    expect(deployed.exitCode).toBe(0);
    session = await startMcp(emulator);
    const planned = await session.call("plan_rollback", { target: "3.1.12" });
    expect(planned.isError).toBeFalsy();
    expect(structured<PlanAnswer>(planned).parked).toMatchObject({ machines: 7 });
    expect(textOf(planned)).toContain(
      "Parked: a parked set of 7 machines runs this target; `semfly rollback --instant` would start it; this plan redeploys.",
    );
    const other = await session.call("plan_rollback", { target: "3.1.11" });
    expect(structured<PlanAnswer>(other).parked).toBeNull();
    expect(textOf(other)).not.toContain("Parked:");
  });
});
