// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import type { FaultRule } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import { executeRollout, prepareRollback, type RolloutResult } from "../../src/index.js";
import { FAST_TIMING } from "../rollout/world.js";
import { APP, capture, expectPromiseKept, startWorld } from "./harness.js";

/**
 * Requests Fly acts on after semfly has given up on them: the emulator holds one request past the client's
 * timeout, then handles it as usual. This is the ambiguous case a 5xx or a dropped connection before the
 * request is read never creates: semfly cannot know whether the change happened.
 */
const CLIENT_TIMEOUT_MS = 1000;
const LATE_MS = 1600;
const LEASE_TTL_SECONDS = 5;

function late(operation: string): FaultRule {
  return { operation, times: 1, action: { type: "delay", ms: LATE_MS } };
}

async function rollbackWithLate(operation: string) {
  const world = await startWorld({
    faults: { rules: [late(operation)] },
    client: { timeoutMs: CLIENT_TIMEOUT_MS },
  });
  const before = capture(world.emulator);
  const { plan } = await prepareRollback(world.client, APP, { target: { spec: "3.1.11" } });
  let outcome: { result: RolloutResult } | { error: unknown };
  try {
    outcome = {
      result: await executeRollout(world.client, plan, {
        timing: FAST_TIMING,
        leaseTtlSeconds: LEASE_TTL_SECONDS,
      }),
    };
  } catch (error) {
    outcome = { error };
  }
  // Let the held request reach its handler, and the machines settle.
  await new Promise((resolve) => setTimeout(resolve, LATE_MS));
  await world.emulator.idle();
  return { world, before, plan, outcome };
}

describe.concurrent("answers that come after semfly gave up", () => {
  it("a machine update applied late does not land twice: the resend carries the version, the original is refused", async () => {
    const { world, before, plan, outcome } = await rollbackWithLate("machines.update");
    try {
      expect("result" in outcome && outcome.result.status).toBe("complete");
      await expectPromiseKept(world, outcome, {
        label: "late machine update",
        before,
        target: plan.to.digest,
        leaseTtlSeconds: LEASE_TTL_SECONDS,
      });
      // The update timed out and was resent (fly-go resends updates; `current_version` makes it safe).
      // Whichever of the two Fly handled first, the other met a moved version and was refused (409):
      // the machine got exactly one new config.
      const lateOne = world.emulator.requestLog.find(
        (r) => r.operation === "machines.update" && r.fault?.startsWith("delay"),
      );
      expect(lateOne).toBeDefined();
      const id = lateOne!.path.split("/").at(-1)!;
      const versionsBefore = before.machines.get(id)!;
      expect(versionsBefore).toBeDefined();
      const after = world.emulator.machineVersions(APP, id);
      const release = "result" in outcome ? outcome.result.release?.id : undefined;
      const fromThisRun = after.filter((v) => v.config?.metadata?.fly_release_id === release);
      expect(fromThisRun).toHaveLength(1);
    } finally {
      await world.close();
    }
  });

  it("a lease granted after the acquire timed out is read back as this run's, held, and given back: never left to its TTL", async () => {
    const { world, before, plan, outcome } = await rollbackWithLate("machines.lease.acquire");
    try {
      // The acquire timed out; Fly granted it later; a later read-back found it bearing this run's id.
      expect("result" in outcome && outcome.result.status).toBe("complete");
      const log = world.emulator.requestLog;
      const timedOut = log.find(
        (r) => r.operation === "machines.lease.acquire" && r.fault?.startsWith("delay"),
      )!;
      expect(timedOut).toBeDefined();
      const id = timedOut.path.split("/").at(-2)!;
      expect(
        log.filter((r) => r.operation === "machines.lease.get" && r.path.includes(id)).length,
      ).toBeGreaterThanOrEqual(2);
      // Given back by the run, not by the clock: no lease is held and none was left to expire.
      expect(world.emulator.leases(APP)).toEqual([]);
      expect(
        log.filter((r) => r.operation === "machines.lease.release" && r.path.includes(id)),
      ).toHaveLength(1);
      await expectPromiseKept(world, outcome, {
        label: "late lease",
        before,
        target: plan.to.digest,
        leaseTtlSeconds: LEASE_TTL_SECONDS,
      });
    } finally {
      await world.close();
    }
  });

  it("a lease released late leaves no lease behind", async () => {
    const { world, before, plan, outcome } = await rollbackWithLate("machines.lease.release");
    try {
      expect("result" in outcome && outcome.result.status).toBe("complete");
      await expectPromiseKept(world, outcome, {
        label: "late lease release",
        before,
        target: plan.to.digest,
        leaseTtlSeconds: LEASE_TTL_SECONDS,
      });
      expect(world.emulator.leases(APP)).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it("a release status recorded late still ends as the result says", async () => {
    const { world, before, plan, outcome } = await rollbackWithLate("releases.update");
    try {
      expect("result" in outcome && outcome.result.status).toBe("complete");
      await expectPromiseKept(world, outcome, {
        label: "late release status",
        before,
        target: plan.to.digest,
        leaseTtlSeconds: LEASE_TTL_SECONDS,
      });
      expect(world.emulator.releases(APP).at(-1)?.status).toBe("complete");
    } finally {
      await world.close();
    }
  });

  it("a lease refresh held past the lease's lifetime does not cost the rollout its hold on the machine", async () => {
    // Leases of 2 s (Fly counts whole seconds), refreshed every second. The first refresh is held 1.8 s:
    // it reaches Fly after its lease lapsed, and Fly answers with a new lease (a new nonce). The target
    // hangs, so every machine is put back after that (4 s), which needs the new nonce.
    const world = await startWorld({
      faults: {
        rules: [
          // The first seven are the leases taken (the demo's seven Fly Launch machines).
          { operation: "machines.lease.acquire", times: 7, action: { type: "delay", ms: 0 } },
          { operation: "machines.lease.acquire", times: 1, action: { type: "delay", ms: 1800 } },
        ],
      },
    });
    try {
      world.emulator.markImageNeverStarts("registry.fly.io/acme-web:v3.1.11", "hang");
      const before = capture(world.emulator);
      const { plan } = await prepareRollback(world.client, APP, {
        target: { spec: "3.1.11" },
        strategy: "immediate",
      });
      const result = await executeRollout(world.client, plan, {
        timing: FAST_TIMING,
        leaseTtlSeconds: 2,
        waitTimeoutMs: 4000,
      });
      // The held refresh really went out; the refreshes ticking beside it kept the lease (or, landing
      // after a lapse, re-took it with a new nonce), so the reverts below still hold the machines.
      expect(
        world.emulator.requestLog.some(
          (r) => r.operation === "machines.lease.acquire" && r.fault === "delay:1800",
        ),
      ).toBe(true);
      expect(result.status).toBe("failed");
      expect(result.reverted, result.machines.map((m) => m.error ?? m.result).join("; ")).toBe(
        true,
      );
      expect(result.warnings, result.warnings.join(" | ")).toEqual([]);
      await expectPromiseKept(
        world,
        { result },
        { label: "lapsed lease", before, target: plan.to.digest, leaseTtlSeconds: 2 },
      );
    } finally {
      await world.close();
    }
  });

  // Fly makes the release after semfly gave up on the create: semfly looks for it (the newest pending
  // release of this image) a few times, adopts it, and records the run's outcome there.
  it("a release created late is found and adopted: the run completes and no release stays pending", async () => {
    const { world, before, plan, outcome } = await rollbackWithLate("releases.create");
    try {
      expect("result" in outcome && outcome.result.status).toBe("complete");
      await expectPromiseKept(world, outcome, {
        label: "late release create",
        before,
        target: plan.to.digest,
        leaseTtlSeconds: LEASE_TTL_SECONDS,
      });
      expect(world.emulator.leases(APP)).toEqual([]);
      const created = world.emulator.releases(APP).slice(before.releaseCount);
      expect(created.map((r) => r.status)).toEqual(["complete"]);
    } finally {
      await world.close();
    }
  });
});
