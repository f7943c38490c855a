import { describe, expect, it } from "vitest";
import { FLY_RATE_LIMITS } from "../src/index.js";
import { call, DEMO_APP_MACHINE, DEMO_WORKER_MACHINE, machinePath, start } from "./helpers.js";

// Fly's bursts with a near-zero refill, so slow test machines cannot refill a bucket mid-test.
const frozen = { ...FLY_RATE_LIMITS, perSecond: 0.001, getPerSecond: 0.001 };

describe("rate limits", () => {
  it("defaults to Fly's documented limits", () => {
    expect(FLY_RATE_LIMITS).toEqual({ perSecond: 1, burst: 3, getPerSecond: 5, getBurst: 10 });
  });

  it("allows a burst of 3 per action per machine, then answers 429 with Retry-After", async () => {
    const emulator = await start({ rateLimits: frozen });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/metadata"))).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call<{ error: string }>(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, "/metadata"),
    );
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another machine, and another action on the same machine, have their own buckets.
    expect(
      (await call(emulator, "GET", machinePath(DEMO_WORKER_MACHINE, "/metadata"))).status,
    ).toBe(200);
    expect((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/versions"))).status).toBe(
      200,
    );
    expect(emulator.counters.rateLimited).toBe(2);
  });

  it("gives Get Machine a burst of 10", async () => {
    const emulator = await start({ rateLimits: frozen });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE))).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses[10]).toBe(429);
  });

  it("refills the bucket at the sustained rate", async () => {
    const emulator = await start({ rateLimits: { ...frozen, perSecond: 0.01 } });
    for (let i = 0; i < 3; i++)
      await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/versions"));
    expect((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/versions"))).status).toBe(
      429,
    );
    emulator.advanceClock(100_000); // one token at 0.01/s
    expect((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/versions"))).status).toBe(
      200,
    );
  });

  it("can be switched off at run time", async () => {
    const emulator = await start({ rateLimits: true });
    emulator.setRateLimits(false);
    for (let i = 0; i < 8; i++) {
      expect((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/versions"))).status).toBe(
        200,
      );
    }
  });

  it("does not limit the GraphQL and release APIs", async () => {
    const emulator = await start({ rateLimits: true });
    for (let i = 0; i < 6; i++) {
      expect((await call(emulator, "GET", "/api/v1/apps/acme-web/releases/current")).status).toBe(
        200,
      );
    }
  });
});
