// @module-tag slow: a child process per test (the built CLI, or the action's main.mjs running it).
import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { emulatorEnv, runCli, sandbox } from "../reliability/cli.js";
import {
  APP,
  D11,
  D12,
  eventually,
  type McpSession,
  machineDigests,
  startMcp,
  startMcpEmulator,
  structured,
  textOf,
} from "./harness.js";

interface PlanAnswer {
  planId: string;
  expiresAt: string;
  plan: { status: string; to: string; machines: { id: string }[]; batches: string[][] };
  preflight: {
    machines: unknown[];
    skipped: unknown[];
    strategy: string;
    warnings: string[];
    migrations: unknown[];
    volumes: unknown[];
  };
}

interface ErrorAnswer {
  error: { code: string; message: string; suggestion: string };
}

let emulator: Emulator | undefined;
let session: McpSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
  await emulator?.close();
  emulator = undefined;
});

const lastRelease = (e: Emulator) => e.releases(APP).at(-1)!;

describe("semfly mcp: plan, then execute", () => {
  it("plans without changing anything, then executes the plan: machines on the target, release complete", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator);
    const releasesBefore = emulator.releases(APP).length;
    const planned = await session.call("plan_rollback", { target: "3.1.11", max_unavailable: 2 });
    expect(planned.isError).toBeFalsy();
    const plan = structured<PlanAnswer>(planned);
    expect(plan.plan).toMatchObject({ status: "planned", to: "3.1.11" });
    // One machine alone first (flyctl's spearhead), then two at a time.
    expect(plan.plan.batches).toHaveLength(4);
    expect(plan.preflight.machines).toHaveLength(7);
    expect(plan.preflight.skipped).toEqual([]);
    expect(plan.preflight.strategy).toBe("rolling");
    // What the rollback will not give back comes with the plan, as in the CLI's --json.
    // The demo's 3.1.12 ran its release command (bin/migrate): a rollback crosses that migration.
    expect(plan.preflight.migrations).toEqual([
      { version: "3.1.12", release: 23, command: "bin/migrate", source: "release-config" },
    ]);
    expect(plan.preflight.volumes).toEqual([]);
    expect(textOf(planned)).toContain("Migrations crossed: 3.1.12 (v23: bin/migrate)");
    expect(textOf(planned)).toContain(`Plan ${plan.planId}: call execute_plan`);
    expect(emulator.mutatingRequests()).toEqual([]);

    const preflight = await session.call("preflight", { plan_id: plan.planId });
    expect(structured(preflight)).toMatchObject({
      planId: plan.planId,
      expired: false,
      changesSince: [],
    });
    expect(emulator.mutatingRequests()).toEqual([]);

    const progress: string[] = [];
    const executed = await session.client.callTool(
      { name: "execute_plan", arguments: { plan_id: plan.planId } },
      undefined,
      { onprogress: (p) => progress.push(p.message ?? "") },
    );
    expect(executed.isError).toBeFalsy();
    expect(structured(executed as never)).toMatchObject({
      app: APP,
      kind: "rollback",
      status: "complete",
      from: "3.1.12",
      to: "3.1.11",
      reverted: false,
      undo: `semfly rollback 3.1.12 --app ${APP}`,
    });
    expect(machineDigests(emulator)).toEqual(Array(7).fill(D11));
    expect(emulator.releases(APP)).toHaveLength(releasesBefore + 1);
    expect(lastRelease(emulator).status).toBe("complete");
    expect(emulator.leases(APP)).toEqual([]);
    expect(progress[0]).toBe("Leased 7 machines");
    expect(progress).toContain("Batch 1/4: 5683d4e3c7e08e");
    expect(progress).toContain("5683d4e3c7e08e: checks passing");
    // The last lines too: the server leaves a gap before the result, which the SDK's client needs.
    expect(progress.slice(-2)).toEqual(["Release v28 is complete", "Released 7 leases"]);

    // stdout is the protocol's; without --verbose the server has nothing to say on stderr either.
    expect(session.stderr()).toBe("");

    // A plan runs once.
    const again = await session.call("execute_plan", { plan_id: plan.planId });
    expect(structured<ErrorAnswer>(again).error.code).toBe("PLAN_UNKNOWN");
  });

  it("plans and executes a deploy of a new image", async () => {
    emulator = await startMcpEmulator();
    const digest = emulator.addImage(APP, {
      ref: "registry.fly.io/acme-web:3.2.0",
      labels: { "org.opencontainers.image.version": "3.2.0" },
    }).digest;
    session = await startMcp(emulator);
    const planned = await session.call("plan_deploy", {
      version: "3.2.0",
      image: "registry.fly.io/acme-web:3.2.0",
      strategy: "immediate",
    });
    expect(planned.isError).toBeFalsy();
    const { planId } = structured<PlanAnswer>(planned);
    const executed = await session.call("execute_plan", { plan_id: planId });
    expect(structured(executed)).toMatchObject({ kind: "deploy", status: "complete", to: "3.2.0" });
    expect(machineDigests(emulator)).toEqual(Array(7).fill(digest));
  });

  it("refuses to plan, or to execute, a deploy while the app is frozen", async () => {
    emulator = await startMcpEmulator();
    const fly = emulator;
    fly.addImage(APP, {
      ref: "registry.fly.io/acme-web:3.2.0",
      labels: { "org.opencontainers.image.version": "3.2.0" },
    });
    session = await startMcp(fly);
    const request = { version: "3.2.0", image: "registry.fly.io/acme-web:3.2.0" };
    const { planId } = structured<PlanAnswer>(await session.call("plan_deploy", request));
    // Someone freezes the app between the plan and its execution, as `semfly rollback` does.
    const box = await sandbox();
    try {
      const frozen = await runCli(["freeze", "--reason", "incident 42", "--app", APP], {
        cwd: box.cwd,
        env: emulatorEnv(fly, box),
      });
      expect(frozen.code).toBe(0);
    } finally {
      await box.dispose();
    }
    const before = fly.mutatingRequests().length;
    // The freeze itself changed the machines (a metadata key on each), so the old plan no longer holds.
    const executed = await session.call("execute_plan", { plan_id: planId });
    expect(executed.isError).toBe(true);
    expect(["PLAN_CHANGED", "FROZEN"]).toContain(structured<ErrorAnswer>(executed).error.code);
    const replanned = await session.call("plan_deploy", request);
    expect(replanned.isError).toBe(true);
    const { error } = structured<ErrorAnswer>(replanned);
    expect(error.code).toBe("FROZEN");
    expect(error.message).toMatch(/^acme-web is frozen by .*: incident 42$/);
    expect(fly.mutatingRequests().length).toBe(before);
    expect(machineDigests(fly)).toEqual(Array(7).fill(D12));
  });

  it("runs a plan once when two calls race to execute it", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator);
    const { planId } = structured<PlanAnswer>(
      await session.call("plan_rollback", { target: "3.1.11", strategy: "immediate" }),
    );
    const releases = emulator.releases(APP).length;
    const results = await Promise.all([
      session.call("execute_plan", { plan_id: planId }),
      session.call("execute_plan", { plan_id: planId }),
    ]);
    const complete = results.filter((r) => !r.isError);
    expect(complete.map((r) => structured(r).status)).toEqual(["complete"]);
    const refused = results.find((r) => r.isError)!;
    expect(["PLAN_UNKNOWN", "PLAN_CHANGED"]).toContain(structured<ErrorAnswer>(refused).error.code);
    expect(emulator.releases(APP)).toHaveLength(releases + 1);
  });

  it("refuses a plan after a machine changed, and changes nothing", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator);
    const { planId } = structured<PlanAnswer>(
      await session.call("plan_rollback", { target: "3.1.11" }),
    );
    // Someone else changes one machine (here its memory) between the plan and its execution.
    const [machine] = emulator.machines(APP);
    const config = machine!.config as { guest?: Record<string, unknown> };
    const update = await fetch(`${emulator.url}/v1/apps/${APP}/machines/${machine!.id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.token}`, "content-type": "application/json" },
      body: JSON.stringify({ config: { ...config, guest: { ...config.guest, memory_mb: 2048 } } }),
    });
    expect(update.status).toBe(200);
    await emulator.idle();
    emulator.clearRequestLog();
    const releases = emulator.releases(APP).length;

    const preflight = structured<{ changesSince: string[] }>(
      await session.call("preflight", { plan_id: planId }),
    );
    expect(preflight.changesSince).toEqual([
      expect.stringMatching(new RegExp(`^machine ${machine!.id} changed \\(config version `)),
    ]);

    const result = await session.call("execute_plan", { plan_id: planId });
    expect(result.isError).toBe(true);
    const { error } = structured<ErrorAnswer>(result);
    expect(error.code).toBe("PLAN_CHANGED");
    expect(error.message).toContain(`machine ${machine!.id} changed`);
    expect(error.suggestion).toBe(
      "Nothing was changed. Plan again, review the new plan, and execute that one.",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
    expect(emulator.releases(APP)).toHaveLength(releases);
    expect(machineDigests(emulator)).toEqual(Array(7).fill(D12));
  });

  it("refuses a plan once it expired", async () => {
    emulator = await startMcpEmulator();
    session = await startMcp(emulator, ["--plan-ttl", "1s"]);
    const { planId } = structured<PlanAnswer>(
      await session.call("plan_rollback", { target: "3.1.11" }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const result = await session.call("execute_plan", { plan_id: planId });
    expect(result.isError).toBe(true);
    const { error } = structured<ErrorAnswer>(result);
    expect(error.code).toBe("PLAN_EXPIRED");
    expect(error.message).toMatch(new RegExp(`^Plan ${planId} expired: it was made \\d+s ago`));
    expect(emulator.mutatingRequests()).toEqual([]);
    expect(machineDigests(emulator)).toEqual(Array(7).fill(D12));
  });

  it("interrupts the rollout when the client cancels execute_plan: release interrupted, no lease held", async () => {
    emulator = await startMcpEmulator({ bootTimeMs: 300, checkDelayMs: 300 });
    session = await startMcp(emulator);
    const { planId } = structured<PlanAnswer>(
      await session.call("plan_rollback", { target: "3.1.11", max_unavailable: 1 }),
    );
    const cancel = new AbortController();
    const progress: string[] = [];
    const call = session.client.callTool(
      { name: "execute_plan", arguments: { plan_id: planId } },
      undefined,
      {
        signal: cancel.signal,
        onprogress: (p) => {
          progress.push(p.message ?? "");
          // Cancel once the first machine is through: the rest of the app must stay as it was.
          if (/checks passing$/.test(p.message ?? "")) cancel.abort("the user changed their mind");
        },
      },
    );
    await expect(call).rejects.toThrow();
    const release = await eventually(
      () => lastRelease(emulator!),
      (r) => r.status !== "running",
    );
    expect(release.status).toBe("interrupted");
    await eventually(
      () => emulator!.leases(APP),
      (leases) => leases.length === 0,
    );
    const state = (await (await fetch(`${emulator.url}/__emulator/state`)).json()) as {
      apps: { name: string; machines: { lease?: unknown }[] }[];
    };
    const app = state.apps.find((a) => a.name === APP)!;
    expect(app.machines.filter((m) => m.lease)).toEqual([]);
    const digests = machineDigests(emulator);
    expect(digests.filter((d) => d === D11).length).toBeGreaterThanOrEqual(1);
    expect(digests.filter((d) => d === D12).length).toBeGreaterThanOrEqual(1);
    expect(progress).toContain("Leased 7 machines");
  });

  it("interrupts the rollout when the client goes away mid-rollout: release interrupted, no lease held", async () => {
    emulator = await startMcpEmulator({ bootTimeMs: 300, checkDelayMs: 300 });
    const current = await startMcp(emulator);
    const { planId } = structured<PlanAnswer>(
      await current.call("plan_rollback", { target: "3.1.11", max_unavailable: 1 }),
    );
    let closing: Promise<void> | undefined;
    const call = current.client.callTool(
      { name: "execute_plan", arguments: { plan_id: planId } },
      undefined,
      {
        onprogress: (p) => {
          // The agent's process dies: its end of stdin closes.
          if (/checks passing$/.test(p.message ?? "")) closing ??= current.close();
        },
      },
    );
    await expect(call).rejects.toThrow();
    await closing;
    const release = await eventually(
      () => lastRelease(emulator!),
      (r) => r.status !== "running",
    );
    expect(release.status).toBe("interrupted");
    expect(emulator.leases(APP)).toEqual([]);
    expect(machineDigests(emulator).filter((d) => d === D12).length).toBeGreaterThanOrEqual(1);
  });
});
