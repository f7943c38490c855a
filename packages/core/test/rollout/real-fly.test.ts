/**
 * The rollout against Fly as it really behaves (../shared/fly-api/REAL-BEHAVIOUR.md), one behaviour per
 * test, over the emulator via HTTP. Each of these failed on the engine before the split.
 */
import { loadScenario, scenario } from "@semfly/fly-emulator";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  createFlyClient,
  executeRollout,
  loadVersionHistory,
  prepareDeploy,
  prepareRollback,
  type RolloutEvent,
  validateLeaseTtl,
} from "../../src/index.js";
import {
  APP,
  demoWorld,
  digestsOf,
  FAST_TIMING,
  latestRelease,
  managedMachines,
  type World,
} from "./world.js";

/** Demo ids (packages/fly-emulator/README.md, "The demo scenario"). */
const STOPPED_APP = "9080524f612387";
const STANDBY_WORKER = "2b7e4c9d1a0f53";
const WORKERS_STARTED = ["148e272f6d4d89", "d8d1779c4d0e18"];
const APP_STARTED = ["e784079b449483", "5683d4e3c7e08e", "3d8d9e1a265789"];
const DEBUG_MACHINE = "6e82d3f1b0a947";
const V3_1_11 = "registry.fly.io/acme-web:v3.1.11";

let world: World;
afterEach(async () => {
  expect(world.emulator.leases(APP)).toEqual([]);
  await world.close();
});

async function rollback(spec: string, options: Record<string, unknown> = {}) {
  const { plan } = await prepareRollback(world.client, APP, { target: { spec }, ...options });
  return plan;
}

const stateOf = (id: string) => world.emulator.machines(APP).find((m) => m.id === id)!;

describe("cold machines", () => {
  it("updates stopped and standby machines without starting them, and leaves them on the target", async () => {
    world = await demoWorld();
    const plan = await rollback("3.1.11");
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result.status).toBe("complete");
    const target = plan.to.digest;
    for (const id of [STOPPED_APP, STANDBY_WORKER]) {
      expect(stateOf(id).state).toBe("stopped");
      expect(stateOf(id).image_ref?.digest).toBe(target);
      expect(result.machines.find((m) => m.id === id)).toMatchObject({
        result: "updated",
        cold: true,
      });
      // Never started since the update: no `start` event after it.
      const events = world.emulator.machineEvents(APP, id);
      const update = events.findIndex((e) => e.type === "update");
      expect(update).toBeGreaterThanOrEqual(0);
      expect(events.slice(0, update).some((e) => e.type === "start")).toBe(false);
    }
  });

  it("puts cold machines back cold when a revert undoes them", async () => {
    world = await demoWorld();
    world.emulator.markImageBad(V3_1_11);
    const plan = await rollback("3.1.11", { strategy: "immediate" });
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result).toMatchObject({ status: "failed", reverted: true });
    expect(stateOf(STOPPED_APP).state).toBe("stopped");
    expect(stateOf(STANDBY_WORKER).state).toBe("stopped");
  });

  it("verifies the target on one representative of a group whose machines are all stopped, then stops it again", async () => {
    world = await demoWorld();
    for (const id of APP_STARTED) await world.client.stopMachine(APP, id);
    await world.emulator.idle();
    const plan = await rollback("3.1.11");
    expect(plan.verifyCold).toHaveLength(1);
    const representative = plan.verifyCold[0]!;
    const events: RolloutEvent[] = [];
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      onEvent: (e) => events.push(e),
    });
    expect(result.status).toBe("complete");
    expect(events).toContainEqual({ type: "machine-verified", machineId: representative });
    for (const id of [...APP_STARTED, STOPPED_APP]) expect(stateOf(id).state).toBe("stopped");
    const started = world.emulator
      .machineEvents(APP, representative)
      .filter((e) => e.type === "start" && e.source === "flyd");
    expect(started.length).toBeGreaterThan(0);
  });

  it("fails and reverts when the cold representative's checks fail", async () => {
    world = await demoWorld();
    for (const id of APP_STARTED) await world.client.stopMachine(APP, id);
    await world.emulator.idle();
    world.emulator.markImageBad(V3_1_11);
    const plan = await rollback("3.1.11");
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/critical/);
    expect(stateOf(plan.verifyCold[0]!).state).toBe("stopped");
  });

  it("starts no cold machine with --no-verify-cold", async () => {
    world = await demoWorld();
    for (const id of APP_STARTED) await world.client.stopMachine(APP, id);
    await world.emulator.idle();
    const plan = await rollback("3.1.11", { verifyCold: false });
    expect(plan.verifyCold).toEqual([]);
    expect((await executeRollout(world.client, plan, { timing: FAST_TIMING })).status).toBe(
      "complete",
    );
    expect(world.emulator.mutatingRequests().some((r) => r.operation === "machines.start")).toBe(
      false,
    );
  });
});

describe("the health gate", () => {
  it("waits for service checks that report only after a delay, and fails on their result", async () => {
    // Only [[http_service.checks]], no top-level checks; results arrive 300 ms after start.
    world = await demoWorld({ checkDelayMs: 300 });
    world.emulator.markImageBad(V3_1_11);
    const result = await executeRollout(world.client, await rollback("3.1.11"), {
      timing: FAST_TIMING,
    });
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/servicecheck-00-http-8080 is critical/);
  });

  it("ignores flaps' bg_deployments_compat checks", async () => {
    const scenario = await loadScenario("demo");
    scenario.apps[0]!.compatChecks = true;
    world = await demoWorld({ scenario, checkDelayMs: 200 });
    world.emulator.markImageBad(V3_1_11);
    const result = await executeRollout(world.client, await rollback("3.1.11"), {
      timing: FAST_TIMING,
    });
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/servicecheck/);
  });

  it("fails a machine whose image crash-loops although it shows started and has no checks", async () => {
    world = await demoWorld({ crashAfterMs: 20, restartDelayMs: 5 });
    world.emulator.markImageCrashLoop(V3_1_11);
    const plan = await rollback("3.1.11");
    const result = await executeRollout(world.client, plan, {
      timing: { ...FAST_TIMING, crashWatchMs: 600 },
    });
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/appears to be crashing/);
    expect(result.reverted).toBe(true);
  });
});

describe("which machines a rollout manages", () => {
  it("shows machines outside Fly Launch as not managed and never touches them", async () => {
    world = await demoWorld();
    const before = world.emulator.machines(APP).find((m) => m.id === DEBUG_MACHINE)!;
    const plan = await rollback("3.1.11");
    expect(plan.unmanaged).toContainEqual(
      expect.objectContaining({ id: DEBUG_MACHINE, reason: "not a Fly Launch machine" }),
    );
    expect(plan.machines.map((m) => m.id)).not.toContain(DEBUG_MACHINE);
    await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(stateOf(DEBUG_MACHINE).instance_id).toBe(before.instance_id);
  });

  it("refuses an app with no managed machines instead of reporting 0 machines updated", async () => {
    world = await demoWorld();
    for (const m of managedMachines(world.emulator)) {
      await world.client.destroyMachine(APP, m.id);
    }
    await world.emulator.idle();
    world.emulator.clearRequestLog();
    await expect(rollback("3.1.11")).rejects.toMatchObject({ code: "NO_MACHINES", kind: "input" });
    expect(world.emulator.mutatingRequests()).toEqual([]);
  });
});

describe("unreachable hosts", () => {
  it("refuses before changing anything, naming the machine", async () => {
    world = await demoWorld();
    world.emulator.setHostStatus(APP, WORKERS_STARTED[1]!, "unreachable");
    world.emulator.clearRequestLog();
    await expect(rollback("3.1.11")).rejects.toMatchObject({
      code: "UNREACHABLE_MACHINES",
      kind: "api",
      message: expect.stringContaining(WORKERS_STARTED[1]!),
    });
    expect(world.emulator.mutatingRequests()).toEqual([]);
  });

  it("with --skip-unreachable, leaves the machine alone and reports the run partial", async () => {
    world = await demoWorld();
    const unreachable = WORKERS_STARTED[1]!;
    world.emulator.setHostStatus(APP, unreachable, "unreachable");
    const plan = await rollback("3.1.11", { skipUnreachable: true });
    world.emulator.clearRequestLog();
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result.status).toBe("partial");
    expect(result.reason).toContain(unreachable);
    expect(result.machines.find((m) => m.id === unreachable)).toMatchObject({ result: "skipped" });
    const touched = world.emulator.requestLog.filter((r) => r.path.includes(unreachable));
    expect(touched.filter((r) => r.mutating)).toEqual([]);
    expect(world.emulator.requestLog.some((r) => r.notes?.includes("host_unreachable"))).toBe(
      false,
    );
    // Fly's release has no partial status: complete, with the machines left behind in its metadata.
    const record = world.emulator.releases(APP).find((r) => r.id === result.release!.id)!;
    expect(record.status).toBe("complete");
    expect(record.metadata).toMatchObject({ semfly: { partial: { unreachable: [unreachable] } } });
  });
});

describe("batches", () => {
  it("never takes both started machines of a two-machine group down together", async () => {
    world = await demoWorld();
    const plan = await rollback("3.1.11", { maxUnavailable: 0.9 });
    for (const batch of plan.batches) {
      expect(WORKERS_STARTED.every((id) => batch.includes(id))).toBe(false);
    }
    expect(plan.batches[0]).toHaveLength(1);
  });
});

describe("the release record", () => {
  it("records the current release's app config, never {}", async () => {
    world = await demoWorld();
    const current = world.emulator.releases(APP).reduce((a, b) => (a.version > b.version ? a : b));
    expect(current.definition).toMatchObject({ app: APP });
    await executeRollout(world.client, await rollback("3.1.11"), { timing: FAST_TIMING });
    expect(latestRelease(world.emulator).definition).toEqual(current.definition);
  });

  it("with --with-config records the target release's app config and says per machine what it restored", async () => {
    world = await demoWorld();
    const v18 = world.emulator.releases(APP).find((r) => r.version === 18)!;
    const plan = await rollback("3.1.11", { withConfig: true });
    // hidden-wave-6203 was created on v23: it never ran 3.1.11.
    expect(plan.warnings.some((w) => w.includes("d8d1779c4d0e18"))).toBe(true);
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result.machines.find((m) => m.id === "d8d1779c4d0e18")).toMatchObject({
      configRestored: false,
    });
    expect(result.machines.find((m) => m.id === APP_STARTED[0])).toMatchObject({
      configRestored: true,
    });
    expect(latestRelease(world.emulator).definition).toEqual(v18.definition);
  });

  it("with --with-config does not replace a machine already on the target with the same config", async () => {
    world = await demoWorld();
    const stop = new AbortController();
    const first = await rollback("3.1.11", { withConfig: true });
    await executeRollout(world.client, first, {
      timing: FAST_TIMING,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === "checks-passing") stop.abort();
      },
    });
    const moved = first.batches[0]![0]!;
    const again = await rollback("3.1.11", { withConfig: true });
    expect(again.skipped).toContainEqual(
      expect.objectContaining({ id: moved, reason: "already on the target, with the same config" }),
    );
  });
});

describe("leases", () => {
  it("bounds --lease-timeout to 5s..10m", () => {
    expect(() => validateLeaseTtl(4)).toThrow(/outside 5s..10m/);
    expect(() => validateLeaseTtl(601)).toThrow(/outside/);
    expect(() => validateLeaseTtl(13)).not.toThrow();
  });

  // Four seconds of a real Retry-After against two-second leases: not for the unit loop.
  it("keeps every lease while the client sleeps on a Retry-After longer than the lease", {
    tags: ["slow"],
    timeout: 20_000,
  }, async () => {
    world = await demoWorld();
    world.emulator.setFaults({
      rules: [
        {
          operation: "releases.create",
          times: 1,
          action: { type: "status", status: 429, retryAfterSeconds: 4 },
        },
      ],
    });
    const plan = await rollback("3.1.11");
    let heldDuringSleep = -1;
    const probe = new Promise<void>((resolve) =>
      setTimeout(() => {
        heldDuringSleep = world.emulator.leases(APP).length;
        resolve();
      }, 3_500),
    );
    const result = await executeRollout(world.client, plan, {
      timing: { ...FAST_TIMING, leaseRefreshMs: 500 },
      leaseTtlSeconds: 2,
    });
    await probe;
    expect(heldDuringSleep).toBe(plan.machines.length);
    expect(result.status).toBe("complete");
  });
});

describe("idempotent retries", () => {
  it("resends an update answered 502 and completes", async () => {
    world = await demoWorld();
    world.emulator.setFaults({
      rules: [{ operation: "machines.update", times: 1, action: { type: "status", status: 502 } }],
    });
    const result = await executeRollout(world.client, await rollback("3.1.11"), {
      timing: FAST_TIMING,
    });
    expect(result.status).toBe("complete");
  });

  // A one-second client timeout and a three-second back-off, real: not for the unit loop.
  it("counts an update whose answer was lost as done when the machine runs the config sent", {
    tags: ["slow"],
    timeout: 30_000,
  }, async () => {
    world = await demoWorld();
    // The first update is handled only after the client gave up on it; the resend meets a moved version.
    const client = createFlyClient({
      token: world.emulator.token,
      apiBaseUrl: world.emulator.url,
      flapsBaseUrl: world.emulator.url,
      uiexBaseUrl: world.emulator.url,
      timeoutMs: 1_000,
      retry: { minDelayMs: 3_000, maxDelayMs: 3_000 },
    });
    const plan = await rollback("3.1.11", { strategy: "canary" });
    world.emulator.setFaults({
      rules: [{ operation: "machines.update", times: 1, action: { type: "delay", ms: 1_500 } }],
    });
    const result = await executeRollout(client, plan, { timing: FAST_TIMING });
    expect(result.status).toBe("complete");
    const conflicts = world.emulator.requestLog.filter(
      (r) => r.operation === "machines.update" && r.status === 409,
    );
    expect(conflicts).toHaveLength(1);
  });

  it("keeps waiting through wait answers other than 400", async () => {
    world = await demoWorld();
    world.emulator.setFaults({
      rules: [{ operation: "machines.wait", times: 2, action: { type: "status", status: 500 } }],
    });
    const result = await executeRollout(world.client, await rollback("3.1.11"), {
      timing: FAST_TIMING,
    });
    expect(result.status).toBe("complete");
  });

  it("sends the machine's region on every update", async () => {
    world = await demoWorld();
    // Recorded at the transport: the request bodies exactly as they leave semfly.
    const updates: { path: string; body: Record<string, unknown> }[] = [];
    const dispatcher = new Agent().compose((dispatch) => (opts, handler) => {
      if (opts.method === "POST" && /\/machines\/[0-9a-f]+$/.test(opts.path)) {
        updates.push({ path: opts.path, body: JSON.parse(String(opts.body)) });
      }
      return dispatch(opts, handler);
    });
    const client = createFlyClient({
      token: world.emulator.token,
      apiBaseUrl: world.emulator.url,
      flapsBaseUrl: world.emulator.url,
      uiexBaseUrl: world.emulator.url,
      dispatcher,
    });
    const plan = await rollback("3.1.11");
    await executeRollout(client, plan, { timing: FAST_TIMING });
    expect(updates).toHaveLength(plan.machines.length);
    for (const m of plan.machines) {
      const sent = updates.find((u) => u.path.endsWith(`/${m.id}`))!;
      expect(sent.body.region).toBe(m.region);
      expect(sent.body.skip_launch === true).toBe(m.cold);
    }
  });
});

describe("records killed runs left behind", () => {
  it("finishes a killed run's running release as interrupted, with the machines it moved, on the next run", async () => {
    world = await demoWorld();
    const target = (await loadVersionHistory(world.client, APP)).versions.find(
      (v) => v.version === "3.1.11",
    )!.digest!;
    const orphan = world.emulator.addRelease(APP, {
      status: "running",
      image: `registry.fly.io/acme-web@${target}`,
      metadata: { semfly: { version: "3.1.11", digest: target, kind: "rollback" } },
    });
    // The killed run had moved one machine.
    const moved = APP_STARTED[0]!;
    const machine = await world.client.getMachine(APP, moved);
    await world.client.updateMachine(APP, moved, {
      config: {
        ...machine.config,
        image: `registry.fly.io/acme-web@${target}`,
        metadata: { ...machine.config.metadata, fly_release_id: orphan.id },
      },
    });
    await world.emulator.idle();
    // The next run is a deploy of something else entirely.
    world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
    const { plan } = await prepareDeploy(world.client, APP, {
      version: "3.2.0",
      imageRef: "registry.fly.io/acme-web:3.2.0",
      skipReleaseCommand: true,
    });
    await executeRollout(world.client, plan, { timing: FAST_TIMING });
    const finished = world.emulator.releases(APP).find((r) => r.version === orphan.version)!;
    expect(finished.status).toBe("interrupted");
    expect(finished.metadata).toMatchObject({ semfly: { machines: [moved] } });
  });
});

describe("the release command", () => {
  async function deployPlan(options: Record<string, unknown> = {}) {
    world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
    const { plan } = await prepareDeploy(world.client, APP, {
      version: "3.2.0",
      imageRef: "registry.fly.io/acme-web:3.2.0",
      ...options,
    });
    return plan;
  }

  it("runs deploy.release_command on an ephemeral machine before any app machine changes", async () => {
    world = await demoWorld({ runTimeMs: 20 });
    const plan = await deployPlan();
    expect(plan.releaseCommand).toEqual({ command: "bin/migrate" });
    world.emulator.clearRequestLog();
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result.status).toBe("complete");
    const operations = world.emulator.mutatingRequests().map((r) => r.operation);
    expect(operations.indexOf("machines.create")).toBeGreaterThan(-1);
    expect(operations.indexOf("machines.create")).toBeLessThan(
      operations.indexOf("machines.update"),
    );
  });

  it("aborts the deploy, changing no app machine, when the release command fails", async () => {
    world = await demoWorld({ runTimeMs: 20 });
    const before = digestsOf(world.emulator);
    const plan = await deployPlan();
    world.emulator.markReleaseCommandFails("registry.fly.io/acme-web:3.2.0", 3);
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/release command exited with code 3/);
    expect(digestsOf(world.emulator)).toEqual(before);
    expect(latestRelease(world.emulator).status).toBe("failed");
  });

  it("says the release command already ran when the machines then fail and go back", async () => {
    world = await demoWorld({ runTimeMs: 20 });
    const plan = await deployPlan();
    world.emulator.markImageBad("registry.fly.io/acme-web:3.2.0");
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result).toMatchObject({ status: "failed", reverted: true });
    expect(result.warnings).toContain(
      "The release command (bin/migrate) ran for 3.2.0 before the machines failed: the database may be ahead of the code that runs now.",
    );
  });

  it("is skipped with --skip-release-command, and a rollback never runs it but says so", async () => {
    world = await demoWorld({ runTimeMs: 20 });
    const plan = await deployPlan({ skipReleaseCommand: true });
    expect(plan.releaseCommand).toBeNull();
    const back = await rollback("3.1.11");
    expect(back.releaseCommand).toBeNull();
    expect(back.notes.some((w) => /does not run the release command/.test(w))).toBe(true);
    world.emulator.clearRequestLog();
    await executeRollout(world.client, back, { timing: FAST_TIMING });
    expect(world.emulator.mutatingRequests().some((r) => r.operation === "machines.create")).toBe(
      false,
    );
  });
});

describe("interruptions", () => {
  it("ends in one interrupted result, changing nothing, whenever Ctrl-C comes before the first update", async () => {
    world = await demoWorld();
    const plan = await rollback("3.1.11");
    // Already interrupted; interrupted during the image check; interrupted once every lease is held.
    const already = new AbortController();
    already.abort();
    const duringCheck = new AbortController();
    const leased = new AbortController();
    let leases = 0;
    world.emulator.setFaults({
      rules: [{ operation: "SemflyResolveImage", times: 1, action: { type: "delay", ms: 300 } }],
    });
    setTimeout(() => duringCheck.abort(), 50);
    const results = [];
    for (const [signal, onEvent] of [
      [already.signal, undefined],
      [duringCheck.signal, undefined],
      [
        leased.signal,
        (e: RolloutEvent) => {
          if (e.type === "machine-leased" && ++leases === plan.machines.length) leased.abort();
        },
      ],
    ] as const) {
      results.push(
        await executeRollout(world.client, plan, {
          timing: FAST_TIMING,
          signal,
          ...(onEvent ? { onEvent } : {}),
        }),
      );
    }
    for (const result of results) {
      expect(result).toMatchObject({
        status: "interrupted",
        reason: "Interrupted before any machine changed.",
        undoTarget: null,
      });
      expect(result.liveNow?.digest).toBe(plan.from?.digest);
      expect(result.machines.every((m) => m.result !== "updated")).toBe(true);
    }
    expect(world.emulator.mutatingRequests().some((r) => r.operation === "machines.update")).toBe(
      false,
    );
  });
});

describe("an app whose releases recorded no app config", () => {
  function bare(definitions: (Record<string, unknown> | null)[]) {
    let s = scenario("bare").image("1.0.0").image("1.1.0");
    definitions.forEach((definition, i) => {
      s = s.release({ image: i % 2 === 0 ? "1.0.0" : "1.1.0", definition });
    });
    return s.machines(2, { regions: ["ams", "iad"] }).build();
  }

  it("refuses before changing anything rather than record a release with {}", async () => {
    world = await demoWorld({ scenario: bare([null, null]) });
    world.emulator.clearRequestLog();
    await expect(
      prepareRollback(world.client, "bare", { target: { spec: "1.0.0" } }),
    ).rejects.toMatchObject({ code: "APP_CONFIG_UNKNOWN" });
    expect(world.emulator.mutatingRequests()).toEqual([]);
  });

  it("keeps the newest recorded app config when the current release has none, and says so", async () => {
    const config = { app: "bare", http_service: { internal_port: 8080 } };
    world = await demoWorld({ scenario: bare([config, null]) });
    const { plan } = await prepareRollback(world.client, "bare", { target: { spec: "1.0.0" } });
    expect(plan.definition).toEqual(config);
    expect(plan.warnings).toContain(
      "The current release recorded no app config; the release keeps v1's.",
    );
  });
});
