import { describe, expect, it } from "vitest";
import {
  executeRollout,
  loadVersionHistory,
  type MachineConfig,
  prepareDeploy,
  prepareRollback,
  type SemflyError,
} from "../../src/index.js";
import { APP, demoWorld, FAST_TIMING, managedMachines, type World } from "./world.js";

/**
 * A semfly run killed after it moved some machines (SIGKILL: no revert, no record): its release stays
 * `running` and its machines carry it. The next run judges them as the live run would have and, when they
 * are not healthy, puts them back on their exact previous config before doing what it was asked.
 */
/** Each case on its own emulator (they run side by side); afterwards no lease and no open release. */
async function withWorld(test: (world: World) => Promise<void>): Promise<void> {
  const world = await demoWorld();
  try {
    await test(world);
    expect(world.emulator.leases(APP)).toEqual([]);
    expect(
      world.emulator.releases(APP).filter((r) => ["pending", "running"].includes(r.status)),
    ).toEqual([]);
  } finally {
    await world.close();
  }
}

async function version(world: World, v: string) {
  const history = await loadVersionHistory(world.client, APP);
  const entry = history.versions.find((x) => x.version === v)!;
  const ref = world.emulator
    .images(APP)
    .find((i) => i.labels["org.opencontainers.image.version"] === v)!.ref;
  return { digest: entry.digest!, image: `registry.fly.io/acme-web@${entry.digest}`, ref };
}

/** What a run to `v` killed after updating `count` started machines leaves behind. */
async function killedRun(world: World, v: string, count: number | "all") {
  const target = await version(world, v);
  const orphan = world.emulator.addRelease(APP, {
    status: "running",
    image: target.image,
    metadata: {
      semfly: { version: v, digest: target.digest, kind: "rollback", strategy: "rolling" },
    },
  });
  const managed = managedMachines(world.emulator).map((m) => m.id);
  const before = new Map<string, MachineConfig>();
  for (const id of managed) before.set(id, (await world.client.getMachine(APP, id)).config);
  const started = managedMachines(world.emulator)
    .filter((m) => m.state === "started" && m.image_ref?.digest !== target.digest)
    .map((m) => m.id)
    .sort();
  const moved = count === "all" ? managed : started.slice(0, count);
  for (const id of moved) {
    const machine = await world.client.getMachine(APP, id);
    await world.client.updateMachine(APP, id, {
      config: {
        ...machine.config,
        image: target.image,
        metadata: {
          ...machine.config.metadata,
          fly_release_id: orphan.id,
          fly_release_version: String(orphan.version),
        },
      },
      skipLaunch: machine.state !== "started",
    });
  }
  await world.emulator.idle();
  return { orphan, target, before, moved };
}

async function configs(world: World, ids: readonly string[]) {
  return new Map(
    await Promise.all(
      ids.map(async (id) => [id, (await world.client.getMachine(APP, id)).config] as const),
    ),
  );
}

const deadRelease = (world: World, id: string) =>
  world.emulator.releases(APP).find((r) => r.id === id)!;

describe.concurrent("the run after a killed run whose machines are not healthy", () => {
  it("to the same target: puts the moved machines back on their exact previous config, finishes the dead release failed, and fails", () =>
    withWorld(async (world) => {
      const { orphan, target, before, moved } = await killedRun(world, "3.1.11", 2);
      world.emulator.markImageBad(target.ref);
      const releases = world.emulator.releases(APP).length;
      const { plan } = await prepareRollback(world.client, APP, { target: { spec: "3.1.11" } });
      const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });

      expect(result).toMatchObject({ status: "failed", reverted: true });
      expect(result.reason).toMatch(/killed run's machines were not healthy on 3\.1\.11/);
      expect(result.machines.filter((m) => m.result === "reverted").map((m) => m.id)).toEqual(
        [...moved].sort(),
      );
      expect(result.machines.filter((m) => m.result === "updated")).toEqual([]);
      // Every machine runs exactly what it ran before the killed run; no new release was made.
      expect(await configs(world, [...before.keys()])).toEqual(before);
      expect(world.emulator.releases(APP)).toHaveLength(releases);
      expect(deadRelease(world, orphan.id)).toMatchObject({ status: "failed" });
      expect(deadRelease(world, orphan.id).metadata).toMatchObject({
        semfly: {
          machines: [],
          putBack: [...moved].sort(),
          error: expect.stringMatching(/put them back/),
        },
      });
    }));

  it("to the same target after every machine moved: all go back, and the record says failed", () =>
    withWorld(async (world) => {
      const { orphan, target, before } = await killedRun(world, "3.1.11", "all");
      world.emulator.markImageBad(target.ref);
      const { plan } = await prepareRollback(world.client, APP, { target: { spec: "3.1.11" } });
      expect(plan.machines).toEqual([]);
      const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
      expect(result).toMatchObject({ status: "failed", reverted: true });
      expect(await configs(world, [...before.keys()])).toEqual(before);
      expect(deadRelease(world, orphan.id).status).toBe("failed");
    }));

  it("a deploy run again after every machine moved is not refused as already live: all go back, failed", () =>
    withWorld(async (world) => {
      const { orphan, target, before } = await killedRun(world, "3.1.11", "all");
      world.emulator.markImageBad(target.ref);
      const { plan } = await prepareDeploy(world.client, APP, {
        version: "3.1.11",
        imageRef: target.ref,
        skipReleaseCommand: true,
      });
      expect(plan.machines).toEqual([]);
      expect(plan.from?.version).toBe("3.1.12");
      const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
      expect(result).toMatchObject({ status: "failed", reverted: true });
      expect(await configs(world, [...before.keys()])).toEqual(before);
      expect(deadRelease(world, orphan.id).status).toBe("failed");
    }));

  it("to another target: puts them back first, then rolls every machine from its previous config", () =>
    withWorld(async (world) => {
      const { orphan, target, before, moved } = await killedRun(world, "3.1.11", 2);
      world.emulator.markImageBad(target.ref);
      world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
      const { plan } = await prepareDeploy(world.client, APP, {
        version: "3.2.0",
        imageRef: "registry.fly.io/acme-web:3.2.0",
        skipReleaseCommand: true,
      });
      const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
      expect(result.status).toBe("complete");
      expect(deadRelease(world, orphan.id).status).toBe("failed");
      // The machines the killed run moved keep everything they had before it, but the image.
      const now = await configs(world, moved);
      for (const id of moved) {
        const { image: _was, metadata: wasMeta, ...was } = before.get(id)!;
        const { image, metadata, ...is } = now.get(id)!;
        expect(is).toEqual(was);
        expect(image).toMatch(/@sha256:/);
        expect(image).not.toBe(target.image);
        expect(metadata?.fly_release_id).toBe(result.release!.id);
        expect({ ...metadata, fly_release_id: "", fly_release_version: "" }).toEqual({
          ...wasMeta,
          fly_release_id: "",
          fly_release_version: "",
        });
      }
    }));

  it("to another target that fails: every machine ends on its config from before the killed run", () =>
    withWorld(async (world) => {
      const { orphan, target, before } = await killedRun(world, "3.1.11", 2);
      world.emulator.markImageBad(target.ref);
      world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
      world.emulator.markImageBad("registry.fly.io/acme-web:3.2.0");
      const { plan } = await prepareDeploy(world.client, APP, {
        version: "3.2.0",
        imageRef: "registry.fly.io/acme-web:3.2.0",
        skipReleaseCommand: true,
      });
      const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
      expect(result).toMatchObject({ status: "failed", reverted: true });
      expect(await configs(world, [...before.keys()])).toEqual(before);
      expect(deadRelease(world, orphan.id).status).toBe("failed");
    }));

  it("to the version the others still run (the usual way out): every machine ends there, judged healthy", () =>
    withWorld(async (world) => {
      const { orphan, target, before, moved } = await killedRun(world, "3.1.11", 2);
      world.emulator.markImageBad(target.ref);
      const previous = await version(world, "3.1.12");
      const { plan } = await prepareRollback(world.client, APP, { target: { spec: "3.1.12" } });
      expect(plan.machines.map((m) => m.id).sort()).toEqual([...moved].sort());
      const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
      expect(result.status).toBe("complete");
      expect(deadRelease(world, orphan.id).status).toBe("failed");
      for (const m of managedMachines(world.emulator)) {
        expect(m.image_ref?.digest, m.id).toBe(previous.digest);
      }
      // The moved machines went back on their exact config first, then moved to 3.1.12 from it.
      for (const id of moved) {
        const versions = world.emulator.machineVersions(APP, id);
        expect(
          versions.some((v) => JSON.stringify(v.config) === JSON.stringify(before.get(id))),
        ).toBe(true);
      }
    }));

  it("refuses, changing nothing, when a moved machine's previous config is not in its history", () =>
    withWorld(async (world) => {
      const { orphan, target } = await killedRun(world, "3.1.11", 1);
      world.emulator.markImageBad(target.ref);
      // A machine the killed run made: its only config carries the dead release, there is nothing before.
      const template = managedMachines(world.emulator).find((m) => m.state === "started")!;
      const made = await world.client.createMachine(APP, {
        region: template.region,
        config: {
          ...(await world.client.getMachine(APP, template.id)).config,
          image: target.image,
          metadata: {
            ...(template.config?.metadata ?? {}),
            fly_release_id: orphan.id,
            fly_release_version: String(orphan.version),
          },
        },
      });
      await world.emulator.idle();
      const { plan } = await prepareRollback(world.client, APP, { target: { spec: "3.1.11" } });
      expect(plan.orphans[0]!.machines).toContain(made.id);
      world.emulator.clearRequestLog();
      const error = (await executeRollout(world.client, plan, { timing: FAST_TIMING }).catch(
        (e: unknown) => e,
      )) as SemflyError;
      expect(error.code).toBe("DEAD_RUN_PREVIOUS_UNKNOWN");
      expect(error.message).toContain(made.id);
      expect(
        world.emulator
          .mutatingRequests()
          .map((r) => r.operation)
          .filter((o) => !o.startsWith("machines.lease.")),
      ).toEqual([]);
      // The record stays as the killed run left it: a later run, or a person, decides.
      expect(deadRelease(world, orphan.id).status).toBe("running");
      await world.client.updateRelease(orphan.id, { status: "failed", metadata: {} });
    }));
});

describe.concurrent("the run after a killed run, when a moved machine is leased by someone else", () => {
  it("stops on the lease before it puts any machine back, changing nothing", () =>
    withWorld(async (world) => {
      const { orphan, target, moved } = await killedRun(world, "3.1.11", 2);
      world.emulator.markImageBad(target.ref);
      // A flyctl deploy holds one of the machines the killed run moved.
      const held = [...moved].sort()[1]!;
      world.emulator.holdLease(APP, held, { owner: "ci@acme.test", ttlSeconds: 600 });
      const { plan } = await prepareRollback(world.client, APP, { target: { spec: "3.1.11" } });
      world.emulator.clearRequestLog();
      const error = (await executeRollout(world.client, plan, { timing: FAST_TIMING }).catch(
        (e: unknown) => e,
      )) as SemflyError;
      expect(error.code).toBe("LEASE_CONFLICT");
      expect(
        world.emulator
          .mutatingRequests()
          .map((r) => r.operation)
          .filter((o) => !o.startsWith("machines.lease.")),
      ).toEqual([]);
      expect(deadRelease(world, orphan.id).status).toBe("running");
      world.emulator.releaseLease(APP, held);
      await world.client.updateRelease(orphan.id, { status: "failed", metadata: {} });
    }));
});

describe.concurrent("the run after a killed run whose machines are healthy", () => {
  it("to the same target finishes the job: rolls the rest, and the dead release is interrupted", () =>
    withWorld(async (world) => {
      const { orphan, target, moved } = await killedRun(world, "3.1.11", 2);
      const { plan } = await prepareRollback(world.client, APP, { target: { spec: "3.1.11" } });
      expect(plan.skipped.map((s) => s.id)).toEqual(expect.arrayContaining(moved));
      const result = await executeRollout(world.client, plan, { timing: FAST_TIMING });
      expect(result.status).toBe("complete");
      expect(new Set(managedMachines(world.emulator).map((m) => m.image_ref?.digest))).toEqual(
        new Set([target.digest]),
      );
      expect(deadRelease(world, orphan.id)).toMatchObject({
        status: "interrupted",
        metadata: { semfly: { machines: [...moved].sort() } },
      });
    }));
});

describe.concurrent("the run after a killed run, stopped while it judges the machines", () => {
  it("changes nothing and leaves the dead release for the next run to judge", () =>
    withWorld(async (world) => {
      // Machines that never finish booting: the judgement is still waiting when the user stops.
      world.emulator.markImageNeverStarts((await version(world, "3.1.11")).ref, "hang");
      const { orphan, target, moved } = await killedRun(world, "3.1.11", 2);
      const { plan } = await prepareRollback(world.client, APP, { target: { spec: "3.1.11" } });
      world.emulator.clearRequestLog();
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 300);
      const result = await executeRollout(world.client, plan, {
        timing: FAST_TIMING,
        signal: stop.signal,
      });
      expect(result.status).toBe("interrupted");
      expect(
        world.emulator
          .mutatingRequests()
          .map((r) => r.operation)
          .filter((o) => !o.startsWith("machines.lease.")),
      ).toEqual([]);
      for (const id of moved) {
        expect((await world.client.getMachine(APP, id)).imageRef?.digest).toBe(target.digest);
      }
      expect(deadRelease(world, orphan.id).status).toBe("running");
      await world.client.updateRelease(orphan.id, { status: "interrupted", metadata: {} });
    }));
});
