// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  instantRollback,
  PARKED_UNTIL_KEY,
  prepareRollback,
  type RolloutEvent,
} from "../../src/index.js";
import { killHarness } from "./killed-instant.js";
import { APP, FAST_TIMING, managedMachines, parkedWorld, type World } from "./world.js";

/**
 * Instant rollbacks killed at awkward points, then the runs users make next: the same instant rollback again,
 * a rolling rollback, a deploy; a refused lease on a parked machine; a cut-over Fly half refuses; a record
 * written by the semfly before the dead run named both sets.
 */
let world: World;

beforeEach(async () => {
  world = await parkedWorld();
});
afterEach(async () => {
  await world.close();
});

const {
  parked,
  unlabelled,
  parkedDigest,
  killedInstant,
  expectWhole,
  rollingRollbackTo3112,
  deploy320,
} = killHarness(() => world);

async function instantTo(spec: string, events: RolloutEvent[] = []) {
  const { plan } = await prepareRollback(world.client, APP, {
    target: { spec },
    strategy: "bluegreen",
  });
  return {
    plan,
    result: await instantRollback(world.client, plan, await world.client.listMachines(APP), {
      timing: FAST_TIMING,
      waitTimeoutMs: 3_000,
      onEvent: (e) => events.push(e),
    }),
  };
}

describe.sequential("the run after a killed instant rollback", () => {
  it("re-running the killed `rollback --instant` once its label writes landed makes the app whole instead of refusing NOT_PARKED", async () => {
    const { dead, restoring, target } = await killedInstant("labels");
    // The restored set runs cordoned and unlabelled: out of service, billed, and no longer "parked".
    expect(restoring.some((id) => world.emulator.machine(APP, id).state === "started")).toBe(true);

    // The user re-runs what was killed: it finishes the dead run's cut-over first.
    const outcome = await instantTo(target).then(
      ({ result }) => `${result.status}: ${result.reason}`,
      (error: unknown) => String(error),
    );

    expect(
      world.emulator.releases(APP).find((r) => r.id === dead.id)!.status,
      `the re-run answered ${outcome}`,
    ).not.toBe("running");
    expectWhole();
  });

  it("re-running a `rollback --instant` killed mid-wake succeeds when Fly refuses the repair's re-suspend (set parked stopped by the repair)", async () => {
    const { target } = await killedInstant("wake");
    // Fly refuses suspends (REAL-BEHAVIOUR §8: suspend is newer; the code plans for a refusal): the repair
    // parks the woken machines stopped, which changes their config and version.
    world.emulator.setFaults({
      rules: [{ operation: "machines.suspend", action: { type: "status", status: 500 } }],
    });

    const { result } = await instantTo(target);

    world.emulator.setFaults({});
    expect(result.status, result.reason ?? "").toBe("complete");
    expectWhole();
    for (const m of unlabelled()) expect(m.image_ref?.digest, m.id).toBe(target);
  });
});

describe.sequential("the repair's machine count", () => {
  it("a killed instant rollback repaired by a rolling rollback leaves as many machines running as served before, not both sets", async () => {
    const { serving, restoring } = await killedInstant("labels");
    const servedBefore = serving.filter(
      (id) => world.emulator.machine(APP, id).state === "started",
    ).length;
    const result = await rollingRollbackTo3112();
    expect(result.status, result.reason ?? "").toBe("complete");

    // Before the kill the app ran `serving` and kept `restoring` parked (billed for rootfs only): after it,
    // one set serves and the other is parked, never both running for good.
    const running = unlabelled()
      .filter((m) => m.state === "started")
      .map((m) => m.id);
    expect(
      running.length,
      `running: ${running.length} (restored ${restoring.filter((id) => running.includes(id)).length}, previous ${serving.filter((id) => running.includes(id)).length}), served before: ${servedBefore}`,
    ).toBeLessThanOrEqual(servedBefore);
  });
});

describe.sequential("the repair inside semfly deploy", () => {
  it("a deploy that repaired a killed instant rollback (target unhealthy) and completes leaves none of its machines cordoned", async () => {
    const { restoring } = await killedInstant("labels");
    const digest = world.emulator.machine(APP, restoring[0]!).image_ref!.digest;
    world.emulator.setFaults({ badImages: [`registry.fly.io/acme-web@${digest}`] });
    const result = await deploy320();
    expect(result.status, result.reason ?? "").toBe("complete");

    // No machine of the app is left running cordoned (REAL-BEHAVIOUR §8: a cordoned machine receives no
    // traffic): the un-parked set, unhealthy on 3.1.12, is parked again, and the deploy moved the others.
    const cordonedRunning = managedMachines(world.emulator)
      .filter((m) => m.state === "started" && m.cordoned)
      .map((m) => `${m.id} on ${m.image_ref?.digest?.slice(0, 14)}`);
    expect(cordonedRunning).toEqual([]);
  });
});

describe.sequential("a parked machine leased by someone else", () => {
  it("an instant rollback refused a lease on a parked machine (a concurrent gc or flyctl holds it) records no release", async () => {
    const releasesBefore = world.emulator.releases(APP).length;
    const held = parked()[0]!.id;
    world.emulator.setFaults({
      heldLeases: [{ app: APP, machineId: held, owner: "someone@else.test", ttlSeconds: 4 }],
    });

    const outcome = await instantTo(parkedDigest()).then(
      ({ result }) => `${result.status}: ${result.reason}`,
      (error: unknown) => String(error),
    );

    expect(outcome).toMatch(/lease/i);
    // The parked set is leased before anything is written: a refused attempt adds no release to Fly's
    // history (flyctl `fly releases`) for a rollback that never ran.
    expect(
      world.emulator
        .releases(APP)
        .slice(releasesBefore)
        .map((r) => `v${r.version} ${r.status}`),
    ).toEqual([]);
    expect(world.emulator.leases(APP).filter((l) => l.owner !== "someone@else.test")).toEqual([]);
  });
});

describe.sequential("a cut-over that fails half-way", () => {
  // Seeded fault stream (demo world seed 7): 70% of cordons answer 500, so some land and some exhaust retries.
  it("cordons of the current set refused by Fly after the restored set serves: no machine is left running cordoned and unparked", async () => {
    const target = parkedDigest();
    world.emulator.setFaults({
      rules: [
        { operation: "machines.cordon", probability: 0.7, action: { type: "status", status: 500 } },
      ],
    });
    const { result } = await instantTo(target);
    world.emulator.setFaults({});

    const stuck = unlabelled()
      .filter((m) => m.state === "started" && m.cordoned)
      .map((m) => `${m.id} on ${m.image_ref?.digest?.slice(0, 14)}`);
    // Some cordons were refused to the end: the cut-over failed, and said so.
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/The cut-over failed/);
    expect(stuck).toEqual([]);
    expect(world.emulator.leases(APP)).toEqual([]);
  });
});

describe.sequential("a record written by the semfly before this change", () => {
  it("an instant rollback killed mid cut-over by semfly 5c6579f (record without restoring/replacing) is made whole by the next rollback", async () => {
    const { dead, serving } = await killedInstant("cordon");
    // The record as 5c6579f wrote it: mode and parked set, no `restoring`/`replacing` (they are new).
    const {
      restoring: _r,
      replacing: _p,
      ...older
    } = (dead.metadata as { semfly: Record<string, unknown> }).semfly;
    await world.client.updateRelease(dead.id, { status: "running", metadata: { semfly: older } });
    expect(serving.some((id) => world.emulator.machine(APP, id).cordoned)).toBe(true);

    const result = await rollingRollbackTo3112();

    expect(result.status, result.reason ?? "").toBe("complete");
    // The record names neither set: the un-parked machines are found by its release id, the previous ones
    // are the other managed machines.
    expectWhole();
  });
});

describe.sequential("re-runs and undos after a kill", () => {
  it("killed mid-wake, one woken parked machine destroyed by hand: the re-run restores the rest", async () => {
    const { target } = await killedInstant("wake");
    const awake = parked().filter((m) => m.state === "started");
    await world.client.destroyMachine(APP, awake[0]!.id);
    await world.emulator.idle();

    const { result } = await instantTo(target);

    expect(result.status, result.reason ?? "").toBe("complete");
    expect(result.restored).not.toContain(awake[0]!.id);
    expectWhole();
    for (const m of unlabelled()) expect(m.image_ref?.digest, m.id).toBe(target);
  });

  it("killed mid-wake, re-run, then the instant undo: back on the version that served, every machine whole", async () => {
    const { target, serving } = await killedInstant("wake");
    const previous = world.emulator.machine(APP, serving[0]!).image_ref!.digest!;
    const first = await instantTo(target);
    expect(first.result.status, first.result.reason ?? "").toBe("complete");

    const undo = await instantTo(previous);

    expect(undo.result.status, undo.result.reason ?? "").toBe("complete");
    expectWhole();
    for (const m of unlabelled()) expect(m.image_ref?.digest, m.id).toBe(previous);
    expect(unlabelled().length).toBe(serving.length);
  });

  it("killed with only some label writes landed, the instant re-run restores every target machine", async () => {
    const { restoring, serving, target, labelsBefore } = await killedInstant("labels");
    // Only some label writes had landed: put the labels back on three of them, as if theirs never arrived.
    for (const id of restoring.slice(0, 3)) {
      const now = world.emulator.machine(APP, id).config!.metadata as Record<string, string>;
      const before = labelsBefore[id]!;
      const keys = new Set([...Object.keys(now), ...Object.keys(before)]);
      const changes: Record<string, string | null> = {};
      for (const k of keys) if (now[k] !== before[k]) changes[k] = before[k] ?? null;
      await world.client.patchMachineMetadata(APP, id, changes, {});
    }
    const { result } = await instantTo(target);

    expect(result.status, result.reason ?? "").toBe("complete");
    expectWhole();
    for (const id of restoring) {
      const m = world.emulator.machine(APP, id);
      expect(m.cordoned, id).toBe(false);
      expect(m.config?.metadata?.[PARKED_UNTIL_KEY], id).toBeUndefined();
    }
    for (const id of serving)
      expect(
        parked().some((m) => m.id === id),
        id,
      ).toBe(true);
  });
});
