// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { afterEach, describe, expect, it } from "vitest";
import {
  createFlyClient,
  executeRollout,
  type FlyClient,
  prepareRollback,
  type RolloutResult,
  type SemflyError,
} from "../../src/index.js";
import { FAST_TIMING } from "../rollout/world.js";
import { APP, capture, expectPromiseKept, startWorld, type World } from "./harness.js";

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/** A second client on the same emulator, with its own debug log: what it sent is what it did. */
function clientWithLog(w: World): { client: FlyClient; sent: string[] } {
  const sent: string[] = [];
  const client = createFlyClient({
    token: w.emulator.token,
    apiBaseUrl: w.emulator.url,
    flapsBaseUrl: w.emulator.url,
    uiexBaseUrl: w.emulator.url,
    retry: { minDelayMs: 5, maxDelayMs: 50 },
    debug: (line) => sent.push(line),
  });
  return { client, sent };
}

/**
 * Requests that change something, from a client's debug lines ("POST http://… → 201 in 3ms"). GraphQL
 * goes out as POST but semfly only sends queries there.
 */
function mutations(lines: string[]): string[] {
  return lines
    .filter((line) => /^(POST|PATCH|DELETE|PUT) /.test(line))
    .map((line) => {
      const [method, url, , status] = line.split(" ");
      return `${method} ${new URL(url!).pathname} ${status}`;
    })
    .filter((line) => !line.startsWith("POST /graphql "));
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("two rollouts of one app at once", () => {
  it.each([
    ["the same target, started together", "3.1.11", "3.1.11", 0],
    ["different targets, started together", "3.1.11", "3.1.10", 0],
    ["different targets, the second 15 ms later", "3.1.10", "3.1.9", 15],
    ["different targets, the second 60 ms later", "3.1.9", "3.1.11", 60],
  ] as const)(
    "with %s: one proceeds, the other stops before changing anything",
    async (_name, a, b, offsetMs) => {
      world = await startWorld();
      const w = world;
      const first = clientWithLog(w);
      const second = clientWithLog(w);
      const [planA, planB] = await Promise.all([
        prepareRollback(first.client, APP, { target: { spec: a } }).then((p) => p.plan),
        prepareRollback(second.client, APP, { target: { spec: b } }).then((p) => p.plan),
      ]);
      const before = capture(w.emulator);
      first.sent.length = 0;
      second.sent.length = 0;

      const outcomes = await Promise.allSettled([
        executeRollout(first.client, planA, { timing: FAST_TIMING }),
        delay(offsetMs).then(() => executeRollout(second.client, planB, { timing: FAST_TIMING })),
      ]);
      const winnerIndex = outcomes.findIndex((o) => o.status === "fulfilled");
      const loserIndex = outcomes.findIndex((o) => o.status === "rejected");
      expect(winnerIndex, JSON.stringify(outcomes.map((o) => o.status))).not.toBe(-1);
      expect(loserIndex, JSON.stringify(outcomes.map((o) => o.status))).not.toBe(-1);

      const error = (outcomes[loserIndex] as PromiseRejectedResult).reason as SemflyError;
      expect(error.code).toBe("LEASE_CONFLICT");
      expect(error.exitCode).toBe(1);
      expect(error.message).toMatch(
        /^Machine \w+ is leased by alice@acme\.test.*another deploy or rollback holds it/,
      );
      // The loser's only mutation was the lease it did not get: no machine update, no release.
      const loserSent = mutations([first, second][loserIndex]!.sent);
      expect(loserSent).toHaveLength(1);
      expect(loserSent[0]).toMatch(/^POST \/v1\/apps\/acme-web\/machines\/\w+\/lease 409$/);

      const result = (outcomes[winnerIndex] as PromiseFulfilledResult<RolloutResult>).value;
      expect(result.status).toBe("complete");
      await expectPromiseKept(
        w,
        { result },
        {
          label: `winner of ${a} vs ${b}`,
          before,
          target: [planA, planB][winnerIndex]!.to.digest,
          leaseTtlSeconds: 30,
        },
      );
    },
  );

  it("stops before changing anything when a deploy holds one machine's lease, and names its holder", async () => {
    world = await startWorld();
    const w = world;
    const { plan } = await prepareRollback(w.client, APP, { target: { spec: "3.1.11" } });
    const held = plan.machines.at(-1)!.id;
    w.emulator.holdLease(APP, held, { owner: "bob@acme.test", ttlSeconds: 600 });
    const before = capture(w.emulator);
    w.emulator.clearRequestLog();

    await expect(executeRollout(w.client, plan, { timing: FAST_TIMING })).rejects.toMatchObject({
      code: "LEASE_CONFLICT",
      message: expect.stringContaining(`Machine ${held} is leased by bob@acme.test`),
    });
    const changed = w.emulator
      .mutatingRequests()
      .filter(
        (r) => r.operation !== "machines.lease.acquire" && r.operation !== "machines.lease.release",
      );
    expect(changed).toEqual([]);
    expect(capture(w.emulator)).toEqual(before);
    // Every lease it took was given back; only bob's remains.
    expect(w.emulator.leases(APP).map((l) => [l.machineId, l.owner])).toEqual([
      [held, "bob@acme.test"],
    ]);
  });

  it("proceeds once the other rollout has finished (nothing is left locked)", async () => {
    world = await startWorld();
    const w = world;
    const first = await prepareRollback(w.client, APP, { target: { spec: "3.1.10" } });
    expect((await executeRollout(w.client, first.plan, { timing: FAST_TIMING })).status).toBe(
      "complete",
    );
    const second = await prepareRollback(w.client, APP, { target: { spec: "3.1.11" } });
    expect((await executeRollout(w.client, second.plan, { timing: FAST_TIMING })).status).toBe(
      "complete",
    );
    expect(w.emulator.leases(APP)).toEqual([]);
  });
});
