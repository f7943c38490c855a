// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  executeRollout,
  instantRollback,
  loadVersionHistory,
  PARKED_UNTIL_KEY,
  parkedSets,
  prepareDeploy,
  prepareRollback,
  type SemflyError,
} from "../../src/index.js";
import { APP, demoWorld, FAST_TIMING, managedMachines, type World } from "./world.js";

let world: World;

async function bluegreen(version: string, options: { keep?: number; bad?: boolean } = {}) {
  const imageRef = `registry.fly.io/acme-web:${version}`;
  world.emulator.addImage(APP, { ref: imageRef, bad: options.bad });
  const { plan } = await prepareDeploy(world.client, APP, {
    version,
    imageRef,
    strategy: "bluegreen",
  });
  return executeRollout(world.client, plan, {
    timing: FAST_TIMING,
    waitTimeoutMs: 3_000,
    ...(options.keep === undefined ? {} : { keepParkedSets: options.keep }),
  });
}

const sets = async () => parkedSets(await world.client.listMachines(APP), Date.now());
const versionsParked = async () => (await sets()).map((s) => s.version).sort();
const alive = () =>
  world.emulator.machines(APP).filter((m) => m.state !== "destroyed" && m.state !== "destroying");

beforeEach(async () => {
  world = await demoWorld();
  // Two bluegreen deploys keeping two sets: 3.1.12 (the demo's live version) and 3.2.0 are parked.
  expect((await bluegreen("3.2.0")).status).toBe("complete");
  expect((await bluegreen("3.3.0", { keep: 2 })).status).toBe("complete");
  expect(await versionsParked()).toEqual(["3.1.12", "3.2.0"]);
}, 60_000);
afterEach(async () => {
  expect(world.emulator.leases(APP)).toEqual([]);
  await world.close();
});

describe("--keep: how many parked sets a rollout leaves", () => {
  it("destroys every older parked set after the cut-over with --keep 1, and nothing else", async () => {
    const serving = managedMachines(world.emulator).map((m) => m.id);
    const older = (await sets()).flatMap((s) => s.machines.map((m) => m.id));

    const result = await bluegreen("3.4.0", { keep: 1 });

    expect(result.status).toBe("complete");
    expect(await versionsParked()).toEqual(["3.3.0"]);
    const aliveIds = alive().map((m) => m.id);
    expect(older.some((id) => aliveIds.includes(id))).toBe(false);
    // The machines that served 3.3.0 are the parked set now, not destroyed.
    expect(serving.every((id) => aliveIds.includes(id))).toBe(true);
    expect((await loadVersionHistory(world.client, APP)).live?.version).toBe("3.4.0");
  });

  it("keeps the newest older set beside its own with --keep 2: the oldest goes", async () => {
    expect((await bluegreen("3.4.0", { keep: 2 })).status).toBe("complete");
    expect(await versionsParked()).toEqual(["3.2.0", "3.3.0"]);
  });

  it("destroys no parked set when the rollout fails before its cut-over", async () => {
    const before = (await sets()).flatMap((s) => s.machines.map((m) => m.id)).sort();

    const result = await bluegreen("3.4.0", { keep: 1, bad: true });

    expect(result.status).toBe("failed");
    expect((await sets()).flatMap((s) => s.machines.map((m) => m.id)).sort()).toEqual(before);
    expect((await loadVersionHistory(world.client, APP)).live?.version).toBe("3.3.0");
  });

  it("counts the set an instant rollback parks in exchange, and drops the oldest other", async () => {
    const target = (await sets()).find((s) => s.version === "3.1.12")!;
    const oldest = (await sets()).find((s) => s.version === "3.2.0")!.machines.map((m) => m.id);
    const { plan } = await prepareRollback(world.client, APP, {
      target: { spec: target.digest! },
      strategy: "bluegreen",
    });

    const result = await instantRollback(world.client, plan, await world.client.listMachines(APP), {
      timing: FAST_TIMING,
      waitTimeoutMs: 3_000,
      keepParkedSets: 1,
    });

    expect(result.status).toBe("complete");
    // 3.1.12 serves again, 3.3.0 is parked in exchange, 3.2.0 (the oldest other) is gone.
    expect(await versionsParked()).toEqual(["3.3.0"]);
    expect([...result.trimmed].sort()).toEqual([...oldest].sort());
    const aliveIds = alive().map((m) => m.id);
    expect(oldest.some((id) => aliveIds.includes(id))).toBe(false);
    expect((await loadVersionHistory(world.client, APP)).live?.version).toBe("3.1.12");
  });

  it("refuses --keep 0 in one line before anything changes", async () => {
    world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.4.0" });
    const { plan } = await prepareDeploy(world.client, APP, {
      version: "3.4.0",
      imageRef: "registry.fly.io/acme-web:3.4.0",
      strategy: "bluegreen",
    });
    const before = alive().map((m) => [m.id, m.instance_id, m.state]);
    const error = (await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      keepParkedSets: 0,
    }).catch((e: unknown) => e)) as SemflyError;
    expect(error.code).toBe("INVALID_KEEP");
    expect(error.message.split("\n")).toHaveLength(1);
    expect(alive().map((m) => [m.id, m.instance_id, m.state])).toEqual(before);
    expect(alive().filter((m) => m.config?.metadata?.[PARKED_UNTIL_KEY]).length).toBeGreaterThan(0);
  });
});
