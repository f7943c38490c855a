// @module-tag slow: a child process per test (the built CLI serving MCP over stdio).
import { type AppSpec, type Emulator, startEmulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { demoScenario } from "../helpers.js";
import { emulatorEnv, runCli, sandbox } from "../reliability/cli.js";
import {
  APP,
  D12,
  type McpSession,
  machineDigests,
  startMcp,
  structured,
  textOf,
} from "./harness.js";

const STAGING = "acme-web-staging";
const label = (version: string) => ({ "org.opencontainers.image.version": version });

/** A staging app: 3.2.0 live and healthy there, 3.3.0 failed. */
function stagingApp(name: string, org: string): AppSpec {
  const ref = (v: string) => `registry.fly.io/${name}:${v}`;
  return {
    name,
    organization: { slug: org },
    machineConfig: { app: { guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } } },
    images: ["3.1.12", "3.2.0", "3.3.0"].map((v) => ({ ref: ref(v), labels: label(v) })),
    releases: [
      { version: 1, image: ref("3.1.12"), createdAt: "2025-06-01T10:00:00Z" },
      { version: 2, image: ref("3.2.0"), createdAt: "2025-06-05T10:00:00Z" },
      { version: 3, image: ref("3.3.0"), status: "failed", createdAt: "2025-06-06T10:00:00Z" },
    ],
    machines: [
      { region: "ams", release: 2 },
      { region: "iad", release: 2 },
    ],
  };
}

interface PlanAnswer {
  planId: string;
  plan: { status: string; to: string; image: string; machines: unknown[] };
}
interface ErrorAnswer {
  error: { code: string; message: string; suggestion: string };
}

let emulator: Emulator;
let session: McpSession | undefined;
beforeEach(async () => {
  const scenario = await demoScenario();
  scenario.apps.push(stagingApp(STAGING, "acme"), stagingApp("beta-web", "beta"));
  emulator = await startEmulator({ scenario, bootTimeMs: 20, checkDelayMs: 20, rateLimits: false });
});
afterEach(async () => {
  await session?.close();
  session = undefined;
  await emulator.close();
});

const stagingDigest = () => emulator.images(STAGING).find((i) => i.tag === "3.2.0")!.digest;

describe("semfly mcp: plan_promote", () => {
  it("plans a promote without changing anything, then executes it: the staging digest runs, promotedFrom recorded", async () => {
    session = await startMcp(emulator);
    const planned = await session.call("plan_promote", {
      from: STAGING,
      version: "3.2.0",
      strategy: "immediate",
    });
    expect(planned.isError).toBeFalsy();
    const { planId, plan } = structured<PlanAnswer>(planned);
    expect(plan).toMatchObject({
      status: "planned",
      to: "3.2.0",
      image: `registry.fly.io/${STAGING}@${stagingDigest()}`,
    });
    expect(textOf(planned)).toContain(`call execute_plan with this plan_id before`);
    expect(textOf(planned)).toContain("to promote;");
    expect(emulator.mutatingRequests()).toEqual([]);

    const executed = await session.call("execute_plan", { plan_id: planId });
    expect(structured(executed)).toMatchObject({ kind: "deploy", status: "complete", to: "3.2.0" });
    expect(machineDigests(emulator)).toEqual(Array(7).fill(stagingDigest()));
    const release = emulator.releases(APP).at(-1)!;
    expect(emulator.release(APP, release.version)?.metadata?.semfly).toMatchObject({
      version: "3.2.0",
      promotedFrom: { app: STAGING, release: 2, digest: stagingDigest() },
    });
    expect(emulator.leases(APP)).toEqual([]);
  });

  it("refuses a version that never went live in staging, and an app of another organisation", async () => {
    session = await startMcp(emulator);
    const failed = await session.call("plan_promote", { from: STAGING, version: "3.3.0" });
    expect(failed.isError).toBe(true);
    expect(structured<ErrorAnswer>(failed).error.message).toMatch(/3\.3\.0/);
    const crossOrg = await session.call("plan_promote", { from: "beta-web", version: "3.2.0" });
    expect(crossOrg.isError).toBe(true);
    expect(structured<ErrorAnswer>(crossOrg).error.message).toMatch(/organi[sz]ation/);
    const same = await session.call("plan_promote", { from: APP, version: "3.1.12" });
    expect(structured<ErrorAnswer>(same).error.code).toBe("PROMOTE_SAME_APP");
    expect(emulator.mutatingRequests()).toEqual([]);
    expect(machineDigests(emulator)).toEqual(Array(7).fill(D12));
  });

  it("refuses to plan, or to execute, a promote into a frozen app", async () => {
    session = await startMcp(emulator);
    const request = { from: STAGING, version: "3.2.0" };
    const { planId } = structured<PlanAnswer>(await session.call("plan_promote", request));
    const box = await sandbox();
    try {
      const frozen = await runCli(["freeze", "--reason", "incident 7", "--app", APP], {
        cwd: box.cwd,
        env: emulatorEnv(emulator, box),
      });
      expect(frozen.code).toBe(0);
    } finally {
      await box.dispose();
    }
    const before = emulator.mutatingRequests().length;
    const executed = await session.call("execute_plan", { plan_id: planId });
    expect(executed.isError).toBe(true);
    expect(["PLAN_CHANGED", "FROZEN"]).toContain(structured<ErrorAnswer>(executed).error.code);
    const replanned = await session.call("plan_promote", request);
    expect(structured<ErrorAnswer>(replanned).error).toMatchObject({
      code: "FROZEN",
      message: expect.stringMatching(/^acme-web is frozen by .*: incident 7$/),
    });
    expect(emulator.mutatingRequests().length).toBe(before);
    expect(machineDigests(emulator)).toEqual(Array(7).fill(D12));
  });

  it("is not offered with --read-only", async () => {
    session = await startMcp(emulator, ["--read-only"]);
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).not.toContain("plan_promote");
    const result = await session.call("plan_promote", { from: STAGING, version: "3.2.0" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Tool plan_promote not found");
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
