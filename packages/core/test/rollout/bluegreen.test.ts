// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  executeRollout,
  LAUNCH_ID_KEY,
  loadVersionHistory,
  PARKED_UNTIL_KEY,
  parkedSets,
  prepareDeploy,
  prepareRollback,
  type RolloutEvent,
  type SemflyError,
} from "../../src/index.js";
import {
  APP,
  demoWorld,
  FAST_TIMING,
  latestRelease,
  managedMachines,
  type World,
} from "./world.js";

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
const parkedOnes = () => live().filter((m) => m.config?.metadata?.[PARKED_UNTIL_KEY]);

async function deploy320(options: { bad?: boolean } = {}) {
  world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0", bad: options.bad });
  const { plan } = await prepareDeploy(world.client, APP, {
    version: "3.2.0",
    imageRef: "registry.fly.io/acme-web:3.2.0",
    strategy: "bluegreen",
  });
  return plan;
}

describe("bluegreen over the emulator", () => {
  it("deploys green beside blue, cuts over, and parks blue cordoned: running ones suspended, cold ones stopped without services", async () => {
    const before = managedMachines(world.emulator);
    const plan = await deploy320();
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });

    expect(result.status).toBe("complete");
    const history = await loadVersionHistory(world.client, APP);
    expect(history.live?.version).toBe("3.2.0");
    // The app's machines are the green ones: as many as before, none of the blue ids.
    const green = managedMachines(world.emulator).filter(
      (m) => !m.config?.metadata?.[PARKED_UNTIL_KEY],
    );
    expect(green).toHaveLength(before.length);
    expect(green.every((m) => !before.some((b) => b.id === m.id))).toBe(true);
    expect(green.every((m) => !m.cordoned)).toBe(true);
    // A green standby watches the green primary, never the blue machine that was parked.
    const greenIds = new Set(green.map((m) => m.id));
    const standbys = green.filter((m) => (m.config?.standbys ?? []).length > 0);
    expect(standbys.length).toBeGreaterThan(0);
    for (const m of standbys) {
      expect(m.config!.standbys!.every((id) => greenIds.has(id))).toBe(true);
      expect(m.config!.env?.FLY_STANDBY_FOR).toBe(m.config!.standbys!.join(","));
    }
    // The result names, for each blue machine, the green one that serves in its place.
    expect(result.machines.map((m) => m.replacedBy).sort()).toEqual(green.map((m) => m.id).sort());
    // Cold blue machines got cold green ones.
    const coldBefore = before.filter((m) => m.state !== "started").length;
    expect(green.filter((m) => m.state !== "started")).toHaveLength(coldBefore);
    // Every blue machine is parked and cordoned. A running one (the demo's are all under 2 GB) is
    // suspended with its config kept, so a start resumes it; a cold one is stopped, services kept aside.
    const parked = parkedOnes();
    expect(parked.map((m) => m.id).sort()).toEqual(before.map((m) => m.id).sort());
    for (const machine of parked) {
      const original = before.find((b) => b.id === machine.id)!;
      expect(machine.cordoned).toBe(true);
      // Not a Fly Launch machine while parked: a `fly deploy` leaves it alone too.
      expect(machine.config?.metadata?.fly_platform_version).toBeUndefined();
      expect(machine.config?.metadata?.semfly_parked_version).toBe("3.1.12");
      if (original.state === "started") {
        expect(machine.state).toBe("suspended");
        expect(machine.instance_id).toBe(original.instance_id);
        expect(machine.config?.services).toEqual(original.config?.services);
        expect(machine.config?.metadata?.semfly_parked_mode).toBe("suspend");
      } else {
        expect(machine.state).toBe("stopped");
        expect(machine.config?.services).toBeUndefined();
        expect(JSON.parse(machine.config!.metadata!.semfly_parked_services!)).toEqual(
          original.config?.services ?? null,
        );
      }
    }
    expect(parked.filter((m) => m.state === "suspended").length).toBeGreaterThan(0);
    // The release names the green machines as moved.
    expect(latestRelease(world.emulator).status).toBe("complete");
    expect(result.machines.every((m) => m.result === "updated")).toBe(true);
  });

  it("parks blue stopped, its services kept aside, when Fly refuses to suspend it", async () => {
    const before = managedMachines(world.emulator);
    world.emulator.setFaults({
      rules: [{ operation: "machines.suspend", action: { type: "status", status: 503 } }],
    });
    const events: RolloutEvent[] = [];
    const result = await executeRollout(world.client, await deploy320(), {
      timing: FAST_TIMING,
      onEvent: (e) => events.push(e),
    });
    expect(result.status).toBe("complete");
    const parked = parkedOnes();
    expect(parked.map((m) => m.id).sort()).toEqual(before.map((m) => m.id).sort());
    for (const machine of parked) {
      expect(machine.state).toBe("stopped");
      expect(machine.config?.services).toBeUndefined();
      expect(machine.config?.metadata?.semfly_parked_mode).toBeUndefined();
      expect(machine.config?.metadata?.semfly_parked_services).toBeDefined();
    }
    expect(
      events.some((e) => e.type === "warning" && /could not be suspended/.test(e.message)),
    ).toBe(true);
  });

  it("leaves parked machines out of the app: history, drift and a later rolling rollout ignore them", async () => {
    await executeRollout(world.client, await deploy320(), { timing: FAST_TIMING });
    const parkedIds = parkedOnes().map((m) => m.id);

    const history = await loadVersionHistory(world.client, APP);
    expect(history.machines.map((m) => m.machine.id)).not.toEqual(
      expect.arrayContaining(parkedIds.slice(0, 1)),
    );
    expect(history.live?.version).toBe("3.2.0");
    expect(history.unmanaged.filter((u) => u.reason.startsWith("parked until"))).toHaveLength(
      parkedIds.length,
    );
    const { plan } = await prepareRollback(world.client, APP, {
      target: { spec: "3.1.11" },
      strategy: "rolling",
    });
    expect(plan.machines.some((m) => parkedIds.includes(m.id))).toBe(false);
    const parkedBefore = parkedOnes().map((m) => [m.id, m.instance_id]);
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result.status).toBe("complete");
    expect(parkedOnes().map((m) => [m.id, m.instance_id])).toEqual(parkedBefore);
  });

  it("lists the parked set with its version and expiry a day ahead", async () => {
    const started = Date.now();
    await executeRollout(world.client, await deploy320(), { timing: FAST_TIMING });
    const sets = parkedSets(await world.client.listMachines(APP), Date.now());
    expect(sets).toHaveLength(1);
    expect(sets[0]!.version).toBe("3.1.12");
    expect(sets[0]!.expired).toBe(false);
    const ahead = Date.parse(sets[0]!.expiresAt) - started;
    expect(ahead).toBeGreaterThan(23.9 * 3600_000);
    expect(ahead).toBeLessThan(24.1 * 3600_000);
  });

  it("destroys blue after the cut-over with --keep-previous 0", async () => {
    const before = managedMachines(world.emulator).map((m) => m.id);
    const result = await executeRollout(world.client, await deploy320(), {
      timing: FAST_TIMING,
      keepPreviousMs: 0,
    });
    expect(result.status).toBe("complete");
    expect(parkedOnes()).toEqual([]);
    expect(live().some((m) => before.includes(m.id))).toBe(false);
  });

  it("rolls back with bluegreen to the previous version", async () => {
    const { plan } = await prepareRollback(world.client, APP, {
      target: { spec: "3.1.11" },
      strategy: "bluegreen",
    });
    const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
    expect(result.status).toBe("complete");
    expect((await loadVersionHistory(world.client, APP)).live?.version).toBe("3.1.11");
    expect(latestRelease(world.emulator).metadata).toMatchObject({
      semfly: { kind: "rollback", strategy: "bluegreen" },
    });
  });

  it("destroys green and leaves blue untouched when green fails before the cut-over", async () => {
    const before = managedMachines(world.emulator).map((m) => ({
      id: m.id,
      state: m.state,
      config: m.config,
      cordoned: m.cordoned,
    }));
    const result = await executeRollout(world.client, await deploy320({ bad: true }), {
      timing: FAST_TIMING,
      waitTimeoutMs: 3_000,
    });
    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/every green machine was destroyed and blue was not touched/);
    const after = managedMachines(world.emulator).map((m) => ({
      id: m.id,
      state: m.state,
      config: m.config,
      cordoned: m.cordoned,
    }));
    expect(after).toEqual(before);
    expect(live().filter((m) => m.config?.metadata?.[LAUNCH_ID_KEY])).toEqual([]);
    expect(latestRelease(world.emulator).status).toBe("failed");
  });

  it("finds a green machine whose create was applied but answered 502, instead of launching a second", async () => {
    const count = managedMachines(world.emulator).length;
    // Armed once the release command's own machine is done: the next create is a green one.
    const armAmbiguousCreate = (event: RolloutEvent) => {
      if (event.type !== "release-command" || event.status !== "succeeded") return;
      world.emulator.setFaults({
        rules: [
          {
            operation: "machines.create",
            times: 1,
            action: { type: "status", status: 502, afterHandling: true },
          },
        ],
      });
    };
    const result = await executeRollout(world.client, await deploy320(), {
      timing: FAST_TIMING,
      onEvent: armAmbiguousCreate,
    });
    expect(result.reason).toBeNull();
    expect(
      world.emulator.requestLog.some((r) => r.operation === "machines.create" && r.status === 502),
    ).toBe(true);
    const green = live().filter((m) => m.config?.metadata?.[LAUNCH_ID_KEY]);
    expect(green).toHaveLength(count);
    const keys = green.map((m) => m.config!.metadata![LAUNCH_ID_KEY]);
    expect(new Set(keys).size).toBe(count);
  });

  it("refuses an app with volumes in one line and changes nothing", async () => {
    const machine = managedMachines(world.emulator)[0]!;
    world.emulator.addMachine(APP, {
      region: machine.region,
      config: { ...machine.config!, mounts: [{ volume: "vol_1", path: "/data" }] },
    });
    world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
    const error = (await prepareDeploy(world.client, APP, {
      version: "3.2.0",
      imageRef: "registry.fly.io/acme-web:3.2.0",
      strategy: "bluegreen",
    }).catch((e: unknown) => e)) as SemflyError;
    expect(error.code).toBe("BLUEGREEN_VOLUMES");
    expect(error.message).not.toContain("\n");
    expect(world.emulator.mutatingRequests()).toEqual([]);
  });
});

describe("interrupting bluegreen", () => {
  it("destroys green and leaves blue serving when interrupted before the cut-over", async () => {
    const before = managedMachines(world.emulator).map((m) => ({ id: m.id, state: m.state }));
    const controller = new AbortController();
    const result = await executeRollout(world.client, await deploy320(), {
      timing: FAST_TIMING,
      signal: controller.signal,
      // Interrupted as soon as the first green machine exists.
      onEvent: (event) => {
        if (event.type === "machine-updated") controller.abort();
      },
    });
    expect(result.status).toBe("interrupted");
    expect(result.reason).toMatch(/before the cut-over/);
    expect(managedMachines(world.emulator).map((m) => ({ id: m.id, state: m.state }))).toEqual(
      before,
    );
    expect(live().filter((m) => m.config?.metadata?.[LAUNCH_ID_KEY])).toEqual([]);
    expect(latestRelease(world.emulator).status).toBe("interrupted");
  });

  it("sends no create still waiting for its rate-limit slot once interrupted", async () => {
    world.emulator.clearRequestLog();
    const controller = new AbortController();
    const result = await executeRollout(world.client, await deploy320(), {
      timing: FAST_TIMING,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "machine-updated") controller.abort();
      },
    });
    expect(result.status).toBe("interrupted");
    // Seven greens were due, paced at Fly's create rate: only the burst in flight at the interrupt went out.
    const creates = world.emulator.requestLog.filter((e) => e.operation === "machines.create");
    expect(creates.length).toBeLessThanOrEqual(3);
    expect(live().filter((m) => m.config?.metadata?.[LAUNCH_ID_KEY])).toEqual([]);
  });
});
