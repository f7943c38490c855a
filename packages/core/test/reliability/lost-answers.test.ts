// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import type { FaultAction } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import { executeRollout, prepareRollback, type RolloutResult } from "../../src/index.js";
import { FAST_TIMING } from "../rollout/world.js";
import { APP, capture, expectPromiseKept, releasesInFlight, startWorld } from "./harness.js";

/**
 * Fly applies the request, then the answer is lost (a 502, or the connection dropped): semfly cannot tell
 * from the answer whether the change happened. For every request that changes something, the run must end
 * with the promise kept, no lease held and no release left `pending` or `running`.
 */
const LEASE_TTL_SECONDS = 5;

const ENDPOINTS = [
  ["lease acquire", "machines.lease.acquire", "POST"],
  ["lease release", "machines.lease.release", "DELETE"],
  ["release create", "releases.create", "POST"],
  ["release update", "releases.update", "PATCH"],
  ["machine update", "machines.update", "POST"],
] as const;

const LOSSES: Array<[string, FaultAction]> = [
  ["a 502", { type: "status", status: 502, afterHandling: true }],
  ["a dropped connection", { type: "drop", afterHandling: true }],
];

const cases = ENDPOINTS.flatMap(([name, operation, method]) =>
  LOSSES.map(([loss, action]) => ({ name, operation, method, loss, action })),
);

describe.concurrent("answers lost after Fly applied the request", () => {
  it.each(cases)(
    "$name answered with $loss after it took effect: the rollback completes, no lease or open release is left",
    async ({ operation, method, action, name, loss }) => {
      const world = await startWorld({
        faults: { rules: [{ operation, method, times: 1, action }] },
      });
      try {
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
        await world.emulator.idle();
        const fired = world.emulator.requestLog.filter((r) => r.fault);
        expect(fired.length, `${name}: the fault fired`).toBe(1);
        const label = `${name} lost by ${loss}`;
        expect(
          "result" in outcome && outcome.result.status,
          `${label}: ${"error" in outcome ? String(outcome.error) : outcome.result.reason}`,
        ).toBe("complete");
        await expectPromiseKept(world, outcome, {
          label,
          before,
          target: plan.to.digest,
          leaseTtlSeconds: LEASE_TTL_SECONDS,
        });
        expect(world.emulator.leases(APP), `${label}: no lease held`).toEqual([]);
        // A release resent after Fly had released the lease finds none: that is given back, not a failure.
        const result = (outcome as { result: RolloutResult }).result;
        expect(
          result.warnings.filter((w) => /\bleases?\b/i.test(w)),
          label,
        ).toEqual([]);
        expect(releasesInFlight(world), `${label}: no release left open`).toEqual([]);
        const token = world.emulator.token;
        expect(world.debugLines.join("\n")).not.toContain(token);
      } finally {
        await world.close();
      }
    },
    30_000,
  );
});
