// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  collectParked,
  executeRollout,
  gcPlan,
  PARKED_UNTIL_KEY,
  parkedSets,
  prepareDeploy,
} from "../../src/index.js";
import { APP, demoWorld, FAST_TIMING, type World } from "./world.js";

let world: World;
beforeEach(async () => {
  world = await demoWorld();
});
afterEach(async () => {
  expect(world.emulator.leases(APP)).toEqual([]);
  await world.close();
});

const live = () =>
  world.emulator.machines(APP).filter((m) => m.state !== "destroyed" && m.state !== "destroying");
const HOUR = 3_600_000;

async function bluegreenDeploy(version: string, keepPreviousMs?: number, keepParkedSets?: number) {
  world.emulator.addImage(APP, { ref: `registry.fly.io/acme-web:${version}` });
  const { plan } = await prepareDeploy(world.client, APP, {
    version,
    imageRef: `registry.fly.io/acme-web:${version}`,
    strategy: "bluegreen",
  });
  const result = await executeRollout(world.client, plan, {
    timing: FAST_TIMING,
    keepPreviousMs,
    keepParkedSets,
  });
  expect(result.status).toBe("complete");
}

describe("parked sets over time", () => {
  it("keeps an unexpired set, destroys it once expired, and touches no other machine", async () => {
    await bluegreenDeploy("3.2.0", HOUR);
    const parked = live()
      .filter((m) => m.config?.metadata?.[PARKED_UNTIL_KEY])
      .map((m) => m.id);
    const others = live()
      .filter((m) => !parked.includes(m.id))
      .map((m) => m.id);

    const early = await collectParked(world.client, APP, { now: Date.now() });
    expect(early.destroyed).toEqual([]);
    expect(early.kept).toHaveLength(1);

    const late = await collectParked(world.client, APP, { now: Date.now() + 2 * HOUR });
    expect(late.destroyed.sort()).toEqual(parked.sort());
    expect(late.failed).toEqual([]);
    expect(
      live()
        .map((m) => m.id)
        .sort(),
    ).toEqual(others.sort());
  });

  it("destroys only what the listing it was given shows: a set parked after a confirmation stays", async () => {
    await bluegreenDeploy("3.2.0", HOUR);
    const shown = await world.client.listMachines(APP);
    expect(gcPlan(shown, { now: Date.now(), all: true }).parked).toHaveLength(1);
    await bluegreenDeploy("3.3.0", HOUR, 2);
    const result = await collectParked(world.client, APP, {
      now: Date.now(),
      all: true,
      machines: shown,
    });
    expect(result.failed).toEqual([]);
    // 3.1.12's set (shown) is gone; 3.2.0's, parked after the listing, is still there.
    const left = parkedSets(await world.client.listMachines(APP), Date.now());
    expect(left.map((set) => set.version)).toEqual(["3.2.0"]);
  });

  it("destroys every parked set with all, even unexpired", async () => {
    await bluegreenDeploy("3.2.0");
    const result = await collectParked(world.client, APP, { now: Date.now(), all: true });
    expect(result.destroyed.length).toBeGreaterThan(0);
    expect(parkedSets(await world.client.listMachines(APP), Date.now())).toEqual([]);
  });

  it("never destroys a machine labelled parked that runs: it may be serving", async () => {
    await bluegreenDeploy("3.2.0");
    const parked = live()
      .filter((m) => m.config?.metadata?.[PARKED_UNTIL_KEY])
      .map((m) => m.id);
    const woken = parked[0]!;
    await world.client.startMachine(APP, woken, {});
    await world.client.waitForState(APP, woken, { state: "started", timeoutSeconds: 5 });

    const result = await collectParked(world.client, APP, { now: Date.now(), all: true });

    expect(result.failed).toEqual([
      { id: woken, reason: "it is started, so it may be serving: it was left alone" },
    ]);
    expect(result.destroyed.sort()).toEqual(parked.filter((id) => id !== woken).sort());
    expect(world.emulator.machine(APP, woken).state).toBe("started");
  });

  it("keeps only the newest parked set after a second bluegreen deploy", async () => {
    await bluegreenDeploy("3.2.0");
    await bluegreenDeploy("3.3.0");
    const sets = parkedSets(await world.client.listMachines(APP), Date.now());
    expect(sets).toHaveLength(1);
    // The set the second deploy parked (3.2.0); the 3.1.12 set was destroyed.
    expect(sets[0]!.version).toBe("3.2.0");
    expect(live().some((m) => m.config?.metadata?.semfly_parked_version === "3.1.12")).toBe(false);
  });
});
