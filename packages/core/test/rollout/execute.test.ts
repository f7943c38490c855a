// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  executeRollout,
  loadVersionHistory,
  prepareDeploy,
  prepareRollback,
  type RolloutEvent,
  type RolloutStrategy,
  type SemflyError,
  verifyTargetImage,
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

let world: World;
beforeEach(async () => {
  world = await demoWorld();
});
afterEach(async () => {
  // The promise after every test: no lease is left held.
  expect(world.emulator.leases(APP)).toEqual([]);
  await world.close();
});

async function digestOfVersion(version: string): Promise<string> {
  const history = await loadVersionHistory(world.client, APP);
  return history.versions.find((v) => v.version === version)!.digest!;
}

async function rollback(
  spec: string,
  options: Parameters<typeof prepareRollback>[2] extends infer T ? Partial<T> : never = {},
) {
  const { plan } = await prepareRollback(world.client, APP, { target: { spec }, ...options });
  return plan;
}

describe("rolling back over the emulator", () => {
  it.each<RolloutStrategy>(["rolling", "canary", "immediate"])(
    "puts every machine on the target digest with the %s strategy and records a complete release",
    async (strategy) => {
      const target = await digestOfVersion("3.1.11");
      const previous = await digestOfVersion("3.1.12");
      const plan = await rollback("3.1.11", { strategy, reason: "bad deploy" });
      const statesBefore = new Map(managedMachines(world.emulator).map((m) => [m.id, m.state]));
      const events: RolloutEvent[] = [];
      const result = await executeRollout(world.client, plan, {
        timing: FAST_TIMING,
        onEvent: (e) => events.push(e),
      });

      expect(result.status).toBe("complete");
      const machines = managedMachines(world.emulator);
      expect(machines).toHaveLength(7);
      for (const machine of machines) {
        expect(machine.config!.image).toBe(`registry.fly.io/acme-web@${target}`);
        expect(machine.image_ref?.digest).toBe(target);
        // Cold machines (the autostopped one, the standby) stay cold.
        expect(machine.state).toBe(statesBefore.get(machine.id));
        expect(machine.config!.metadata?.fly_release_version).toBe(String(result.release?.version));
      }
      const release = latestRelease(world.emulator);
      expect(release.status).toBe("complete");
      expect(release.metadata).toMatchObject({
        semfly: {
          version: "3.1.11",
          previousVersion: "3.1.12",
          digest: target,
          kind: "rollback",
          reason: "bad deploy",
          strategy,
        },
      });
      expect((release.metadata!.semfly as { machines: string[] }).machines).toHaveLength(7);
      expect(result.undoTarget?.digest).toBe(previous);
      expect(events.filter((e) => e.type === "checks-passing")).toHaveLength(5);
      expect(events.filter((e) => e.type === "machine-settled")).toHaveLength(2);
      expect(events.filter((e) => e.type === "lease-released")).toHaveLength(7);

      const after = await loadVersionHistory(world.client, APP);
      expect(after.live?.version).toBe("3.1.11");
      expect(after.drift).toBe(false);
    },
  );

  it("starts with one machine alone, then changes at most max-unavailable machines of each group, never a whole group", async () => {
    const plan = await rollback("3.1.11", { maxUnavailable: 2 });
    const groupOf = new Map(plan.machines.map((m) => [m.id, m.processGroup]));
    const updatedInBatch = new Map<string, number>();
    let mostOfOneGroup = 0;
    await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      onEvent: (e) => {
        if (e.type === "batch-started") updatedInBatch.clear();
        if (e.type === "machine-updated") {
          const group = groupOf.get(e.machineId)!;
          const count = (updatedInBatch.get(group) ?? 0) + 1;
          updatedInBatch.set(group, count);
          mostOfOneGroup = Math.max(mostOfOneGroup, count);
        }
      },
    });
    // Spearhead; 2 app + 1 worker (the two started workers never go down together); 1 worker; cold ones.
    expect(plan.batches.map((b) => b.length)).toEqual([1, 3, 1, 2]);
    expect(mostOfOneGroup).toBe(2);
  });

  it("reverts every changed machine to its exact config when the target's checks fail", async () => {
    const before = world.emulator.machines(APP).map((m) => [m.id, m.config]);
    world.emulator.markImageBad("registry.fly.io/acme-web:v3.1.11");
    const plan = await rollback("3.1.11");
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
    });

    expect(result.status).toBe("failed");
    expect(result.reverted).toBe(true);
    expect(result.reason).toMatch(
      /^Machine \w+ failed: health check servicecheck-00-http-8080 is critical .*; every changed machine was put back\.$/,
    );
    expect(result.liveNow?.version).toBe("3.1.12");
    expect(world.emulator.machines(APP).map((m) => [m.id, m.config])).toEqual(before);
    const release = latestRelease(world.emulator);
    expect(release.status).toBe("failed");
    expect(release.metadata).toMatchObject({ semfly: { version: "3.1.11", kind: "rollback" } });
    expect((release.metadata!.semfly as { error: string }).error).toMatch(/critical/);
    // Only the first batch was tried: rolling stops at the first failure.
    expect(result.machines.filter((m) => m.result === "reverted").length).toBe(
      plan.batches[0]!.length,
    );
    expect(result.machines.filter((m) => m.result === "not-started").length).toBe(
      7 - plan.batches[0]!.length,
    );
  });

  it("reverts when a machine never starts within the wait timeout", async () => {
    world.emulator.markImageNeverStarts("registry.fly.io/acme-web:v3.1.11", "hang");
    const before = digestsOf(world.emulator);
    const plan = await rollback("3.1.11", { strategy: "canary" });
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      waitTimeoutMs: 1000,
    });
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/wait timeout \(1s\)/);
    expect(digestsOf(world.emulator)).toEqual(before);
  });

  it("notices a machine that crashes while starting long before the wait timeout", async () => {
    world.emulator.markImageNeverStarts("registry.fly.io/acme-web:v3.1.11", "fail");
    const before = digestsOf(world.emulator);
    const plan = await rollback("3.1.11", { strategy: "canary" });
    // Two minutes to start: the reason must come from a look at the machine, not from the timeout.
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      waitTimeoutMs: 120_000,
    });
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/the machine is failed; every changed machine was put back\.$/);
    expect(digestsOf(world.emulator)).toEqual(before);
  });

  it("leaves the changed machines on the target with --no-revert", async () => {
    world.emulator.markImageBad("registry.fly.io/acme-web:v3.1.11");
    const target = await digestOfVersion("3.1.11");
    const plan = await rollback("3.1.11", { strategy: "canary" });
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING, revert: false });
    expect(result.status).toBe("failed");
    expect(result.reverted).toBe(false);
    expect(result.liveNow).toBeNull();
    const canary = plan.batches[0]![0]!;
    expect(digestsOf(world.emulator)[canary]).toBe(target);
    expect(latestRelease(world.emulator).status).toBe("failed");
  });

  it("stops between machines when interrupted, marks the release interrupted, and converges on a re-run", async () => {
    const target = await digestOfVersion("3.1.11");
    const plan = await rollback("3.1.11", { maxUnavailable: 1 });
    const stop = new AbortController();
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === "checks-passing") stop.abort();
      },
    });
    expect(result.status).toBe("interrupted");
    expect(result.machines.filter((m) => m.result === "updated")).toHaveLength(1);
    expect(latestRelease(world.emulator).status).toBe("interrupted");
    const onTarget = Object.values(digestsOf(world.emulator)).filter((d) => d === target);
    expect(onTarget).toHaveLength(1);

    const drifting = await loadVersionHistory(world.client, APP);
    expect(drifting.drift).toBe(true);

    const resumed = await rollback("3.1.11");
    expect(resumed.skipped).toHaveLength(1);
    expect(resumed.machines).toHaveLength(6);
    expect((await executeRollout(world.client, resumed, { timing: FAST_TIMING })).status).toBe(
      "complete",
    );
    expect(new Set(Object.values(digestsOf(world.emulator)))).toEqual(new Set([target]));
  });

  it("finishes the release a killed run left running once every machine is on the target", async () => {
    const target = await digestOfVersion("3.1.11");
    // 3.1.12 is known by its image label only while a machine runs it: compare by digest afterwards.
    const previous = await digestOfVersion("3.1.12");
    await executeRollout(world.client, await rollback("3.1.11"), { timing: FAST_TIMING });
    // A later run of the same rollback, killed after its machines moved: its release stays running.
    const orphan = world.emulator.addRelease(APP, {
      status: "running",
      image: `registry.fly.io/acme-web@${target}`,
      metadata: { semfly: { version: "3.1.11", digest: target, kind: "rollback" } },
    });
    const plan = await rollback("3.1.11");
    expect(plan.machines).toEqual([]);
    expect(plan.orphans).toMatchObject([{ version: orphan.version, status: "complete" }]);
    expect(plan.from?.digest).toBe(previous);
    world.emulator.clearRequestLog();
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
    });
    expect(result).toMatchObject({ status: "complete", release: { version: orphan.version } });
    expect(result.undoTarget?.digest).toBe(previous);
    expect(latestRelease(world.emulator)).toMatchObject({
      version: orphan.version,
      status: "complete",
    });
    // Only the record changed, under the app lock: no machine was touched.
    expect(world.emulator.mutatingRequests().map((r) => r.operation)).toEqual([
      "machines.lease.acquire",
      "releases.update",
      "machines.lease.release",
    ]);
  });

  it("still refuses a live target when the newest release is finished", async () => {
    await executeRollout(world.client, await rollback("3.1.11"), { timing: FAST_TIMING });
    await expect(rollback("3.1.11")).rejects.toMatchObject({ code: "ALREADY_LIVE" });
  });

  it("lets only one of two concurrent rollbacks proceed; the other changes nothing", async () => {
    const [first, second] = await Promise.all([rollback("3.1.11"), rollback("3.1.10")]);
    const releasesBefore = world.emulator.releases(APP).length;
    const outcomes = await Promise.allSettled([
      executeRollout(world.client, first, { timing: FAST_TIMING }),
      executeRollout(world.client, second, { timing: FAST_TIMING }),
    ]);
    const fulfilled = outcomes.filter((o) => o.status === "fulfilled");
    const rejected = outcomes.filter((o) => o.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    const error = (rejected[0] as PromiseRejectedResult).reason as SemflyError;
    expect(error.code).toBe("LEASE_CONFLICT");
    // Exactly one new release: the loser stopped before recording one.
    expect(world.emulator.releases(APP).length).toBe(releasesBefore + 1);
    const winner = (
      fulfilled[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof executeRollout>>>
    ).value;
    expect(new Set(Object.values(digestsOf(world.emulator)))).toEqual(new Set([winner.to.digest]));
  });

  it("sends no mutating request for a dry run", async () => {
    world.emulator.clearRequestLog();
    const { plan } = await prepareRollback(world.client, APP, { target: { spec: "previous" } });
    await verifyTargetImage(world.client, plan);
    expect(plan.machines).toHaveLength(7);
    expect(world.emulator.mutatingRequests()).toEqual([]);
    expect(world.emulator.requestLog.length).toBeGreaterThan(0);
  });

  it("stops before touching anything when the registry no longer has the target image", async () => {
    const plan = await rollback("3.1.10");
    world.emulator.removeImage(APP, "registry.fly.io/acme-web:3.1.10");
    world.emulator.clearRequestLog();
    const registry = world.registry;
    await expect(
      executeRollout(world.client, plan, { imageCheck: { registry }, timing: FAST_TIMING }),
    ).rejects.toMatchObject({
      code: "IMAGE_NOT_FOUND",
      kind: "input",
    });
    expect(world.emulator.mutatingRequests()).toEqual([]);
  });

  it("restores each machine's whole config as it was when the target was live with --with-config", async () => {
    const without = await rollback("3.1.11");
    expect(without.machines.every((m) => m.configSource === "current")).toBe(true);
    const memoryBefore = world.emulator
      .machines(APP)
      .map((m) => (m.config?.guest as { memory_mb?: number } | undefined)?.memory_mb);
    const { plan } = await prepareRollback(world.client, APP, {
      target: { spec: "3.1.11" },
      withConfig: true,
    });
    const restored = plan.machines.filter((m) => m.configSource === "history");
    expect(restored.length).toBeGreaterThan(0);
    await executeRollout(world.client, plan, { timing: FAST_TIMING });
    const after = world.emulator.machines(APP);
    for (const machine of restored) {
      const now = after.find((m) => m.id === machine.id)!;
      const { image: _image, metadata: _metadata, ...historical } = machine.targetConfig;
      expect(now.config).toMatchObject(historical);
    }
    expect(
      after.map((m) => (m.config?.guest as { memory_mb?: number } | undefined)?.memory_mb),
    ).not.toEqual(memoryBefore);
  });
});

describe("deploying a version on the same engine", () => {
  it("rolls out a new version by digest and records it", async () => {
    const previous = await digestOfVersion("3.1.12");
    world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
    const { plan } = await prepareDeploy(world.client, APP, {
      version: "3.2.0",
      imageRef: "registry.fly.io/acme-web:3.2.0",
    });
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
    });
    expect(result.status).toBe("complete");
    expect(latestRelease(world.emulator).metadata).toMatchObject({
      semfly: { version: "3.2.0", kind: "deploy" },
    });
    const history = await loadVersionHistory(world.client, APP);
    expect(history.live?.version).toBe("3.2.0");
    expect(history.previous?.digest).toBe(previous);
  });

  it.each([
    [
      "a version that already has another digest",
      "3.1.11",
      "registry.fly.io/acme-web:3.1.10",
      {},
      "VERSION_IMMUTABLE",
    ],
    [
      "a version lower than the live one",
      "3.1.8",
      "registry.fly.io/acme-web:3.1.13",
      {},
      "DOWNGRADE_REFUSED",
    ],
    [
      "an image already deployed as another version",
      "3.3.0",
      "registry.fly.io/acme-web:3.1.10",
      {},
      "DIGEST_HAS_VERSION",
    ],
    ["a ref Fly does not have", "3.3.0", "registry.fly.io/acme-web:nope", {}, "IMAGE_NOT_FOUND"],
    [
      "something that is not a version",
      "three",
      "registry.fly.io/acme-web:3.1.10",
      {},
      "NOT_A_VERSION",
    ],
  ])("refuses %s", async (_name, version, imageRef, extra, code) => {
    world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.1.13" });
    world.emulator.clearRequestLog();
    await expect(
      prepareDeploy(world.client, APP, { version, imageRef, ...extra }),
    ).rejects.toMatchObject({ code });
    expect(world.emulator.mutatingRequests()).toEqual([]);
  });
});
