// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  instantRollback,
  loadVersionHistory,
  PARKED_UNTIL_KEY,
  parkedSets,
  prepareRollback,
  type SemflyError,
} from "../../src/index.js";
import {
  APP,
  FAST_TIMING,
  latestRelease,
  managedMachines,
  parkedWorld,
  type World,
} from "./world.js";

let world: World;

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
beforeEach(async () => {
  // 3.2.0 by bluegreen: 3.1.12 is parked.
  world = await parkedWorld();
});
afterEach(async () => {
  expect(world.emulator.leases(APP)).toEqual([]);
  await world.close();
});

const serving = () =>
  managedMachines(world.emulator).filter((m) => !m.config?.metadata?.[PARKED_UNTIL_KEY]);
const parked = () =>
  world.emulator
    .machines(APP)
    .filter((m) => m.state !== "destroyed" && m.config?.metadata?.[PARKED_UNTIL_KEY]);

/** The digest a parked set runs: what semfly resolves the rollback target by. */
const parkedDigest = () => parked()[0]!.config!.metadata!.semfly_parked_digest!;

async function instant(spec: string) {
  const { plan } = await prepareRollback(world.client, APP, {
    target: { spec },
    strategy: "bluegreen",
  });
  return instantRollback(world.client, plan, await world.client.listMachines(APP), {
    timing: FAST_TIMING,
    waitTimeoutMs: 3_000,
  });
}

describe("instant rollback to a parked version", () => {
  it("starts the parked set, restores its exact config, and parks the current one in exchange", async () => {
    const parkedBefore = parked().map((m) => ({ id: m.id, config: m.config }));
    const servingBefore = serving().map((m) => m.id);

    const result = await instant(parkedDigest());

    expect(result.status).toBe("complete");
    expect(result.restored.sort()).toEqual(parkedBefore.map((m) => m.id).sort());
    expect((await loadVersionHistory(world.client, APP)).live?.digest).toBe(
      parkedBefore[0]!.config!.metadata!.semfly_parked_digest,
    );
    for (const machine of serving()) {
      const was = parkedBefore.find((p) => p.id === machine.id)!;
      expect(machine.cordoned).toBe(false);
      // Services back exactly as they were before parking (kept in place by a suspended park).
      const kept = was.config!.metadata!.semfly_parked_services;
      expect(machine.config?.services).toEqual(
        kept === undefined ? was.config?.services : (JSON.parse(kept) ?? undefined),
      );
      for (const key of Object.keys(machine.config?.metadata ?? {})) {
        expect(key.startsWith("semfly_parked")).toBe(false);
      }
      expect(machine.config?.metadata?.fly_platform_version).toBe("v2");
    }
    expect(
      parked()
        .map((m) => m.id)
        .sort(),
    ).toEqual(servingBefore.sort());
    expect(latestRelease(world.emulator).metadata).toMatchObject({
      semfly: { kind: "rollback", mode: "instant", previousVersion: "3.2.0" },
    });
    expect(latestRelease(world.emulator).status).toBe("complete");
  });

  it("resumes machines parked suspended with a start, on the version they were parked on", async () => {
    const suspended = parked().filter((m) => m.state === "suspended");
    expect(suspended.length).toBeGreaterThan(0);
    const versions = new Map(suspended.map((m) => [m.id, m.instance_id]));
    world.emulator.clearRequestLog();

    const result = await instant(parkedDigest());

    expect(result.status).toBe("complete");
    const log = world.emulator.requestLog;
    for (const [id, version] of versions) {
      const mine = log.filter((e) => e.path.includes(`/machines/${id}`));
      expect(mine.some((e) => e.operation === "machines.start")).toBe(true);
      // No update: a new version would throw the snapshot away.
      expect(mine.some((e) => e.operation === "machines.update")).toBe(false);
      const machine = world.emulator.machine(APP, id);
      expect(machine.instance_id).toBe(version);
      expect(machine.state).toBe("started");
      expect(machine.cordoned).toBe(false);
    }
    expect(world.emulator.counters.rateLimited).toBe(0);
  });

  it("costs a restored machine at most six requests: its checks are read from the app's machine list", async () => {
    const restoring = parked().map((m) => ({
      id: m.id,
      cold: m.config?.metadata?.semfly_parked_cold === "1",
    }));
    expect(restoring.some((m) => !m.cold)).toBe(true);
    world.emulator.clearRequestLog();

    const result = await instant(parkedDigest());

    expect(result.status).toBe("complete");
    const log = world.emulator.requestLog;
    for (const { id, cold } of restoring) {
      const mine = log.filter((e) => e.path.includes(`/machines/${id}`)).map((e) => e.operation);
      expect(mine.length, `${id}: ${mine.join(", ")}`).toBeLessThanOrEqual(6);
      // A cold one is looked at once to see it settled cold; a started one is judged from the list.
      if (!cold) expect(mine, id).not.toContain("machines.get");
    }
    expect(log.filter((e) => e.operation === "machines.list").length).toBeGreaterThan(0);
  });

  it("takes a machine's park labels off before it is uncordoned: nothing serving is labelled parked", async () => {
    const suspendMode = parked()
      .filter((m) => m.config?.metadata?.semfly_parked_mode === "suspend")
      .map((m) => m.id);
    expect(suspendMode.length).toBeGreaterThan(0);
    world.emulator.clearRequestLog();

    expect((await instant(parkedDigest())).status).toBe("complete");

    const log = world.emulator.requestLog;
    for (const id of suspendMode) {
      const mine = log.filter((e) => e.path.includes(`/machines/${id}`)).map((e) => e.operation);
      const patched = mine.indexOf("machines.metadata.patch");
      expect(patched, mine.join(", ")).toBeGreaterThanOrEqual(0);
      expect(patched, mine.join(", ")).toBeLessThan(mine.indexOf("machines.uncordon"));
    }
  });

  it("puts the labels back and uncordons nothing when taking them off fails", async () => {
    const servingBefore = serving().map((m) => ({
      id: m.id,
      state: m.state,
      cordoned: m.cordoned,
    }));
    const parkedBefore = parked().map((m) => ({ id: m.id, config: m.config, state: m.state }));
    const suspendMode = parkedBefore.filter(
      (m) => m.config?.metadata?.semfly_parked_mode === "suspend",
    );
    expect(suspendMode.length).toBeGreaterThan(0);
    // Every attempt of every label write (the client tries 5 times) takes effect and answers 500; the
    // writes that put the labels back afterwards go through.
    world.emulator.setFaults({
      rules: [
        {
          operation: "machines.metadata.patch",
          times: 5 * suspendMode.length,
          action: { type: "status", status: 500, afterHandling: true },
        },
      ],
    });
    world.emulator.clearRequestLog();

    const result = await instant(parkedDigest());

    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(
      /labels failed.*the current version still serves and the parked set is parked again/,
    );
    expect(world.emulator.requestLog.map((e) => e.operation)).not.toContain("machines.uncordon");
    expect(serving().map((m) => ({ id: m.id, state: m.state, cordoned: m.cordoned }))).toEqual(
      servingBefore,
    );
    const after = parked();
    expect(after.map((m) => ({ id: m.id, config: m.config }))).toEqual(
      parkedBefore.map((m) => ({ id: m.id, config: m.config })),
    );
    expect(after.every((m) => m.cordoned && ["stopped", "suspended"].includes(m.state))).toBe(true);
    expect((await loadVersionHistory(world.client, APP)).live?.version).toBe("3.2.0");
  });

  it("undoes itself instantly: the version it replaced was parked in exchange", async () => {
    const first = serving()
      .map((m) => m.id)
      .sort();
    expect((await instant(parkedDigest())).status).toBe("complete");
    const undo = await instant(parkedDigest());
    expect(undo.status).toBe("complete");
    expect(
      serving()
        .map((m) => m.id)
        .sort(),
    ).toEqual(first);
    expect((await loadVersionHistory(world.client, APP)).live?.version).toBe("3.2.0");
    expect(parkedSets(await world.client.listMachines(APP), Date.now())).toHaveLength(1);
  });

  it("leaves the current version serving and the parked set parked when a parked machine fails", async () => {
    const servingBefore = serving().map((m) => ({
      id: m.id,
      state: m.state,
      cordoned: m.cordoned,
    }));
    const parkedBefore = parked().map((m) => ({
      id: m.id,
      config: m.config,
      cordoned: m.cordoned,
    }));
    const digest = parkedDigest();
    world.emulator.setFaults({ badImages: [`registry.fly.io/acme-web@${digest}`] });

    const result = await instant(parkedDigest());

    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(/current version still serves/);
    expect(serving().map((m) => ({ id: m.id, state: m.state, cordoned: m.cordoned }))).toEqual(
      servingBefore,
    );
    const after = parked();
    expect(after.map((m) => ({ id: m.id, config: m.config, cordoned: m.cordoned }))).toEqual(
      parkedBefore,
    );
    expect(after.every((m) => ["stopped", "suspended"].includes(m.state))).toBe(true);
    expect(after.filter((m) => m.state === "suspended").length).toBeGreaterThan(0);
    expect((await loadVersionHistory(world.client, APP)).live?.version).toBe("3.2.0");
  });

  it("parks a woken machine stopped without services when Fly refuses to suspend it again", async () => {
    const digest = parkedDigest();
    const suspendMode = parked().filter(
      (m) => m.config?.metadata?.semfly_parked_mode === "suspend",
    );
    expect(suspendMode.length).toBeGreaterThan(0);
    world.emulator.setFaults({
      badImages: [`registry.fly.io/acme-web@${digest}`],
      rules: [{ operation: "machines.suspend", action: { type: "status", status: 503 } }],
    });

    const result = await instant(digest);

    expect(result.status).toBe("failed");
    expect(result.warnings.some((w) => /could not be suspended again/.test(w))).toBe(true);
    // Asleep either way, and never stopped with its services (autostart could wake it).
    for (const machine of parked()) {
      expect(["stopped", "suspended"]).toContain(machine.state);
      if (machine.config?.metadata?.semfly_parked_mode === "suspend") {
        expect(machine.state).toBe("suspended");
      } else {
        expect(machine.config?.services).toBeUndefined();
        expect(machine.config?.metadata?.semfly_parked_services).toBeDefined();
      }
    }
    expect(world.emulator.leases(APP)).toEqual([]);
  });

  it("leaves the current version serving and the parked set parked when a current machine's lease is held", async () => {
    const ids = serving()
      .map((m) => m.id)
      .sort();
    // Not the app's lock (the lowest id): that one stops a run before anything is written.
    const held = ids[ids.length - 1]!;
    const parkedBefore = parked().map((m) => ({
      id: m.id,
      config: m.config,
      cordoned: m.cordoned,
    }));
    world.emulator.setFaults({
      heldLeases: [{ app: APP, machineId: held, owner: "someone@else.test", ttlSeconds: 4 }],
    });

    const result = await instant(parkedDigest());

    expect(result.status).toBe("failed");
    expect(result.reason).toMatch(
      /lease on a current machine was refused.*current version still serves/,
    );
    expect(serving().every((m) => !m.cordoned)).toBe(true);
    expect(parked().map((m) => ({ id: m.id, config: m.config, cordoned: m.cordoned }))).toEqual(
      parkedBefore,
    );
    expect(latestRelease(world.emulator).status).toBe("failed");
    expect((await loadVersionHistory(world.client, APP)).live?.version).toBe("3.2.0");
    // Every lease semfly took was given back: only the other holder's is left, until its TTL ends.
    expect(world.emulator.leases(APP).map((l) => l.machineId)).toEqual([held]);
    await until(() => world.emulator.leases(APP).length === 0, 6_000);
  });

  it("refuses a version that is not parked in one line", async () => {
    const error = (await instant("3.1.11").catch((e: unknown) => e)) as SemflyError;
    expect(error.code).toBe("NOT_PARKED");
    expect(error.suggestion).toContain("--no-instant");
  });
});
