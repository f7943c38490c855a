// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import type { FaultRule } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import {
  executeRollout,
  prepareRollback,
  type RolloutResult,
  type RolloutStrategy,
} from "../../src/index.js";
import { FAST_TIMING } from "../rollout/world.js";
import { APP, capture, DEMO_REFS, expectPromiseKept, startWorld, type World } from "./harness.js";

/**
 * One fault at one chosen request, for each way the fault matrix found a rollout could lose track of
 * the truth. `skip` lets the first matching requests through, so the fault lands on the n-th one.
 */
function at(operation: string, skip: number, action: FaultRule["action"]): FaultRule[] {
  return [
    ...(skip > 0 ? [{ operation, times: skip, action: { type: "delay" as const, ms: 0 } }] : []),
    { operation, times: 1, action },
  ];
}

async function rollback(
  rules: FaultRule[],
  options: {
    strategy?: RolloutStrategy;
    bad?: boolean;
    leaseTtlSeconds?: number;
    bootTimeMs?: number;
    /** Wait this long after the rollout, for requests the emulator is still holding. */
    settleMs?: number;
    check?: (result: RolloutResult, world: World) => void;
    /** Retries of the client after the first try (default: the harness's). */
    retries?: number;
  } = {},
) {
  const world = await startWorld({
    faults: { rules },
    ...(options.retries !== undefined ? { client: { retry: { retries: options.retries } } } : {}),
    ...(options.bootTimeMs ? { bootTimeMs: options.bootTimeMs } : {}),
  });
  try {
    if (options.bad) world.emulator.markImageBad(DEMO_REFS["3.1.11"]);
    const before = capture(world.emulator);
    const { plan } = await prepareRollback(world.client, APP, {
      target: { spec: "3.1.11" },
      strategy: options.strategy ?? "canary",
    });
    const leaseTtlSeconds = options.leaseTtlSeconds ?? 30;
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      leaseTtlSeconds,
    });
    await world.emulator.idle();
    if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    options.check?.(result, world);
    await expectPromiseKept(
      world,
      { result },
      { label: "targeted fault", before, target: plan.to.digest, leaseTtlSeconds },
    );
    return result;
  } finally {
    await world.close();
  }
}

describe.concurrent("a single fault at the worst moment", () => {
  it.each([500, 502, 503, 504] as const)(
    "a single %i on a machine read during the health wait is read again: the rollout completes",
    async (status) => {
      const result = await rollback(at("machines.get", 1, { type: "status", status }), {
        check: (_result, world) => {
          const fired = world.emulator.requestLog.filter((r) => r.fault?.startsWith("status"));
          expect(fired.map((r) => r.operation)).toEqual(["machines.get"]);
        },
      });
      expect(result.status, result.reason ?? "").toBe("complete");
    },
  );

  it("a single dropped connection on the wait during the health wait is waited for again", async () => {
    const result = await rollback(at("machines.wait", 1, { type: "drop" }));
    expect(result.status, result.reason ?? "").toBe("complete");
  });

  it("the reason names the machine that failed first, not the ones stopped because of it", async () => {
    // Immediate: all seven update at once; the third update fails (the client does not retry here, as
    // an update is resent on a 503 otherwise), while the first two are waiting.
    const result = await rollback(at("machines.update", 2, { type: "status", status: 503 }), {
      strategy: "immediate",
      retries: 0,
    });
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(
      /^Machine \w+ failed: Fly failed to update a machine \(HTTP 503\): Service Unavailable; every changed machine was put back\.$/,
    );
  });

  it("a revert that meets a 503 is tried again, and the machine is put back", async () => {
    // Canary onto a bad image: one update forward, then the revert's update meets the 503.
    const result = await rollback(at("machines.update", 1, { type: "status", status: 503 }), {
      bad: true,
    });
    expect(result.status).toBe("failed");
    expect(result.reverted).toBe(true);
  });

  it("a revert that meets a dropped connection is tried again", async () => {
    const result = await rollback(at("machines.update", 1, { type: "drop" }), { bad: true });
    expect(result.reverted).toBe(true);
  });

  it("a revert whose wait meets a 500 is waited for again", async () => {
    // The canary's own wait is the first; the revert's is the second.
    const result = await rollback(at("machines.wait", 1, { type: "status", status: 500 }), {
      bad: true,
    });
    expect(result.reverted).toBe(true);
    expect(result.machines.filter((m) => m.result === "revert-failed")).toEqual([]);
  });

  it("a final release status that meets a 500 is sent again, so the record is right", async () => {
    // The first release update marks it running; the second is the final status.
    const result = await rollback(at("releases.update", 1, { type: "status", status: 500 }), {
      check: (r, world) => {
        expect(r.warnings).toEqual([]);
        expect(world.emulator.releases(APP).at(-1)?.status).toBe("complete");
      },
    });
    expect(result.status).toBe("complete");
  });

  it("a lease refresh still in flight when the rollout ends leaves no lease behind", async () => {
    // Leases of 4 s are refreshed every 2 s, and every refresh is held 1.9 s: the rollout (about 3 s of
    // slow boots) ends while one is held. Had the leases been released before it landed, it would take
    // a new one; the check waits until it has.
    const rules: FaultRule[] = [
      { operation: "machines.lease.acquire", times: 6, action: { type: "delay", ms: 0 } },
      { operation: "machines.lease.acquire", action: { type: "delay", ms: 1900 } },
    ];
    const result = await rollback(rules, {
      strategy: "rolling",
      leaseTtlSeconds: 4,
      bootTimeMs: 500,
      settleMs: 2000,
      check: (r, world) => {
        const refreshes = world.emulator.requestLog.filter((q) => q.fault === "delay:1900");
        expect(refreshes.length, "a refresh was held").toBeGreaterThan(0);
        expect(r.warnings).toEqual([]);
        expect(world.emulator.leases(APP)).toEqual([]);
      },
    });
    expect(result.status).toBe("complete");
  });
});
