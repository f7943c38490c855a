// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  executeRollout,
  instantRollback,
  prepareRollback,
  type RolloutEvent,
} from "../../src/index.js";
import { killHarness } from "./killed-instant.js";
import { APP, FAST_TIMING, parkedWorld, type World } from "./world.js";

/**
 * An instant rollback killed on its way (SIGKILL: nothing runs on the way out). The kill is a client whose
 * connections are all destroyed at the chosen point: nothing it would still send reaches Fly, and what it
 * had sent (held up by a delay fault) still takes effect, as on Fly. The next run, under the app lock,
 * makes the app whole from what the machines and the dead run's record show (dead-instant.ts).
 */
let world: World;

beforeEach(async () => {
  // 3.2.0 by bluegreen: 3.1.12 is parked.
  world = await parkedWorld();
});
afterEach(async () => {
  await world.close();
});

const { parked, unlabelled, parkedDigest, killedInstant, expectWhole, deploy320 } = killHarness(
  () => world,
);

async function rollingRollbackTo3112() {
  const { plan } = await prepareRollback(world.client, APP, {
    target: { spec: "3.1.12" },
    strategy: "rolling",
  });
  expect(plan.orphans.map((o) => o.id)).toHaveLength(1);
  return executeRollout(world.client, plan, { timing: FAST_TIMING, waitTimeoutMs: 3_000 });
}

describe.sequential("the run after a killed instant rollback", () => {
  it("killed with its label writes on their way: the un-parked machines go in service, the rollback finishes", async () => {
    const { dead, restoring, target, serving } = await killedInstant("labels");
    // The parked set runs without its labels, cordoned: out of service, and not parked any more.
    expect(restoring.every((id) => world.emulator.machine(APP, id).cordoned)).toBe(true);
    expect(parked().filter((m) => restoring.includes(m.id))).toEqual([]);

    const result = await rollingRollbackTo3112();

    expect(result.status).toBe("complete");
    expectWhole();
    for (const m of unlabelled()) expect(m.image_ref?.digest, m.id).toBe(target);
    // Its cut-over was finished: the rollback it recorded happened, and the previous set is parked.
    const record = world.emulator.releases(APP).find((r) => r.id === dead.id)!;
    expect(record.status).toBe("complete");
    expect(record.metadata).toMatchObject({
      semfly: {
        mode: "instant",
        error: expect.stringMatching(
          /killed during an instant rollback; a later run finished its cut-over/,
        ),
      },
    });
    expect(result.warnings.some((w) => /its cut-over was finished/.test(w))).toBe(true);
    expect(
      parked()
        .map((m) => m.id)
        .sort(),
    ).toEqual([...serving].sort());
  });

  it("Ctrl-C while the next run judges the un-parked machines changes nothing, and leaves the record for the run after", async () => {
    const { dead } = await killedInstant("labels");
    const looks = () =>
      world.emulator
        .machines(APP)
        .filter((m) => m.state !== "destroyed")
        .map((m) => ({ id: m.id, state: m.state, cordoned: m.cordoned, config: m.config }));
    const before = looks();
    const { plan } = await prepareRollback(world.client, APP, {
      target: { spec: "3.1.12" },
      strategy: "rolling",
    });
    const controller = new AbortController();
    // The crash watch keeps the judging going for seconds: the Ctrl-C lands inside it.
    setTimeout(() => controller.abort(), 300);

    const result = await executeRollout(world.client, plan, {
      timing: { ...FAST_TIMING, crashWatchMs: 5_000 },
      waitTimeoutMs: 10_000,
      signal: controller.signal,
    });

    expect(result.status).toBe("interrupted");
    expect(looks()).toEqual(before);
    expect(world.emulator.releases(APP).find((r) => r.id === dead.id)!.status).toBe("running");
    expect(world.emulator.leases(APP)).toEqual([]);
    // The run after finishes it.
    expect((await rollingRollbackTo3112()).status).toBe("complete");
    expectWhole();
  });

  it("killed mid cut-over, the current set being cordoned: every machine that ran unparked serves again", async () => {
    const { serving } = await killedInstant("cordon");
    expect(serving.some((id) => world.emulator.machine(APP, id).cordoned)).toBe(true);

    const result = await rollingRollbackTo3112();

    expect(result.status).toBe("complete");
    expectWhole();
  });

  it("killed while waking the parked set: the re-run puts the woken machines back to sleep and rolls back instantly", async () => {
    const { dead } = await killedInstant("wake");
    const awake = parked().filter((m) => m.state === "started");
    expect(awake.length).toBeGreaterThan(0);

    const { plan } = await prepareRollback(world.client, APP, {
      target: { spec: parkedDigest() },
      strategy: "bluegreen",
    });
    const events: RolloutEvent[] = [];
    const result = await instantRollback(world.client, plan, await world.client.listMachines(APP), {
      timing: FAST_TIMING,
      waitTimeoutMs: 3_000,
      onEvent: (e) => events.push(e),
    });

    expect(result.status, result.reason ?? "").toBe("complete");
    expectWhole();
    expect(world.emulator.releases(APP).find((r) => r.id === dead.id)!.status).toBe("interrupted");
    // The woken ones were suspended again before this run woke the set.
    const log = world.emulator.requestLog.map((e) => `${e.operation} ${e.path}`);
    for (const m of awake) {
      expect(log.some((line) => line.startsWith("machines.suspend") && line.includes(m.id))).toBe(
        true,
      );
    }
  });

  it("killed with its label writes on their way, the target unhealthy since: the set is parked again and the previous version serves", async () => {
    const { dead, restoring, serving } = await killedInstant("labels");
    const digest = world.emulator.machine(APP, restoring[0]!).image_ref!.digest;
    world.emulator.setFaults({ badImages: [`registry.fly.io/acme-web@${digest}`] });

    const result = await deploy320();

    // 3.2.0 serves on the machines that served before; the un-parked set is parked again, asleep.
    expect(result.status, result.reason ?? "").toBe("complete");
    expect(
      result.warnings.some((w) => /it was put back \(its machines were not healthy/.test(w)),
    ).toBe(true);
    expect(
      parked()
        .map((m) => m.id)
        .sort(),
    ).toEqual([...restoring].sort());
    expectWhole();
    expect(
      unlabelled()
        .map((m) => m.id)
        .sort(),
    ).toEqual([...serving].sort());
    expect(world.emulator.releases(APP).find((r) => r.id === dead.id)!.status).toBe("failed");
  });
});
