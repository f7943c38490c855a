import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  destroyKept,
  type KeptImage,
  keepVersion,
  listKeptImages,
  loadVersionHistory,
} from "../../src/index.js";
import { APP, demoWorld, type World } from "../rollout/world.js";

let world: World;
beforeEach(async () => {
  world = await demoWorld();
});
afterEach(async () => {
  expect(world.emulator.leases(APP)).toEqual([]);
  await world.close();
});

const alive = (id: string) => {
  const m = world.emulator.machines(APP).find((x) => x.id === id);
  return m !== undefined && !m.state.startsWith("destroy");
};

describe("destroying kept machines", () => {
  it("destroys a machine semfly keep made, under its own lease", async () => {
    const history = await loadVersionHistory(world.client, APP, { labels: false });
    const { kept } = await keepVersion(world.client, history, "3.1.11");
    const result = await destroyKept(world.client, APP, [kept]);
    expect(result).toEqual({ destroyed: [kept], failed: [] });
    expect(alive(kept.machineId)).toBe(false);
    expect(await listKeptImages(world.client, APP)).toEqual([]);
  });

  it("leaves alone a machine that, read back under the lease, is not a kept one (a stale listing)", async () => {
    // What an out-of-date listing could name: an app machine's id with keep data it does not carry.
    const app = world.emulator.machines(APP).find((m) => m.config?.metadata?.fly_platform_version)!;
    const stale: KeptImage = {
      machineId: app.id,
      name: app.name,
      region: app.region,
      state: app.state,
      version: "3.1.11",
      digest: "sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59",
      image: app.config!.image!,
      expiresAt: null,
      expired: false,
    };
    const result = await destroyKept(world.client, APP, [stale]);
    expect(result.destroyed).toEqual([]);
    expect(result.failed).toEqual([
      { id: app.id, reason: "it no longer carries semfly's keep metadata, so it was left alone" },
    ]);
    expect(alive(app.id)).toBe(true);
    expect(
      world.emulator.mutatingRequests().filter((r) => r.operation === "machines.destroy"),
    ).toEqual([]);
  });
});
