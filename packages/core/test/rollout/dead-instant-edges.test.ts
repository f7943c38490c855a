// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { executeRollout, prepareRollback } from "../../src/index.js";
import { killHarness } from "./killed-instant.js";
import { APP, FAST_TIMING, latestRelease, parkedWorld, type World } from "./world.js";

/**
 * The repair of a killed instant rollback at kill points and with records that are hard to read: a failed
 * running write, a set half parked or destroyed, garbled notes, machines too big to suspend, the repair
 * itself killed or refused by Fly. The kill is a client whose connections are all destroyed (as in
 * dead-instant.test.ts).
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
  doomedClient,
  startInstant,
  afterKill,
  expectWhole,
  rollingRollbackTo3112,
  deploy320,
} = killHarness(() => world);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.sequential("the repair of a killed instant rollback at its edges", () => {
  it("a record whose running write failed is not left behind by a kill: the woken parked machines are put back to sleep", async () => {
    // Fly answers the `running` write (the notes the repair reads) with 503s; flyctl only warns on that.
    world.emulator.setFaults({
      rules: [
        { operation: "releases.update", action: { type: "status", status: 503 } },
        { operation: "machines.start", action: { type: "delay", ms: 400 } },
      ],
    });
    const { client, kill } = doomedClient();
    const run = startInstant(client, (e) => {
      if (e.type === "warning" && /Could not mark release/.test(e.message)) kill();
    });
    await run;
    await afterKill();
    // Whether the run went on to wake the parked set or stopped there, the next run leaves it whole.

    // The next run: a rolling rollback to the parked version.
    const result = await rollingRollbackTo3112();
    expect(result.status, result.reason ?? "").toBe("complete");
    expectWhole();
  });

  it("killed with part of the previous set parked in exchange, the target unhealthy since: every machine of the version that serves serves again", async () => {
    world.emulator.setFaults({
      rules: [{ operation: "machines.cordon", action: { type: "delay", ms: 400 } }],
    });
    const restoring = parked().map((m) => m.id);
    const serving = unlabelled().map((m) => m.id);
    expect(serving.length).toBeGreaterThan(1);
    const { client, kill } = doomedClient();
    const run = startInstant(client, () => {});
    const uncordoned = () => restoring.every((id) => !world.emulator.machine(APP, id).cordoned);
    while (!uncordoned()) await sleep(5);
    // The first park-label write on the current set waits 5 s (a 429); the others land and suspend.
    world.emulator.setFaults({
      rules: [
        {
          operation: "machines.metadata.patch",
          times: 1,
          action: { type: "status", status: 429, retryAfterSeconds: 5 },
        },
      ],
    });
    const exchanged = () => parked().filter((m) => serving.includes(m.id));
    const settled = () =>
      exchanged().length === serving.length - 1 &&
      exchanged().every((m) => ["stopped", "suspended"].includes(m.state));
    while (!settled()) await sleep(5);
    kill();
    await run;
    await afterKill();
    const dead = latestRelease(world.emulator);
    expect(dead.status).toBe("running");
    expect(exchanged().length).toBe(serving.length - 1);

    // The restored version turns unhealthy; the next run deploys the version that served.
    const digest = world.emulator.machine(APP, restoring[0]!).image_ref!.digest;
    world.emulator.setFaults({ badImages: [`registry.fly.io/acme-web@${digest}`] });
    const result = await deploy320();
    expectWhole();
    // Either the cut-over was finished (the restored set serves) or every machine that served before
    // serves again: never the app's previous version on one machine with the rest parked.
    const servingNow = unlabelled().map((m) => m.id);
    const forward = restoring.every((id) => servingNow.includes(id));
    if (!forward) expect([...servingNow].sort()).toEqual([...serving].sort());
    expect(result.status, result.reason ?? "").toBe("complete");
  });

  it("a record whose parkedUntil is not a date: the un-parked machines are still parked again, none left running cordoned", async () => {
    world.emulator.setFaults({
      rules: [{ operation: "machines.metadata.patch", action: { type: "delay", ms: 400 } }],
    });
    const restoring = parked().map((m) => m.id);
    const { client, kill } = doomedClient();
    const run = startInstant(client, (e) => {
      if (e.type === "checks-passing") kill();
    });
    await run;
    await afterKill();
    const dead = latestRelease(world.emulator);
    expect(dead.status).toBe("running");
    // The record as Fly hands it back, its parkedUntil garbled (a record is Fly's JSON, not ours).
    const semfly = (dead.metadata as { semfly: Record<string, unknown> }).semfly;
    await world.client.updateRelease(dead.id, {
      status: "running",
      metadata: { semfly: { ...semfly, parkedUntil: "soon" } },
    });
    const digest = world.emulator.machine(APP, restoring[0]!).image_ref!.digest;
    world.emulator.setFaults({ badImages: [`registry.fly.io/acme-web@${digest}`] });

    await deploy320();
    expectWhole();
    expect(
      parked()
        .map((m) => m.id)
        .sort(),
    ).toEqual([...restoring].sort());
  });

  it("a record whose keepPreviousMs is out of a date's range: the cut-over is finished with the previous set parked, none left running cordoned", async () => {
    world.emulator.setFaults({
      rules: [{ operation: "machines.metadata.patch", action: { type: "delay", ms: 400 } }],
    });
    const serving = unlabelled().map((m) => m.id);
    const { client, kill } = doomedClient();
    await startInstant(client, (e) => {
      if (e.type === "checks-passing") kill();
    });
    await afterKill();
    const dead = latestRelease(world.emulator);
    expect(dead.status).toBe("running");
    const semfly = (dead.metadata as { semfly: Record<string, unknown> }).semfly;
    await world.client.updateRelease(dead.id, {
      status: "running",
      metadata: { semfly: { ...semfly, keepPreviousMs: 1e300 } },
    });

    await rollingRollbackTo3112();
    expectWhole();
    for (const id of serving) {
      const m = world.emulator.machine(APP, id);
      expect(m.state === "destroyed" || parked().some((p) => p.id === id), id).toBe(true);
    }
  });

  it("killed with --keep-previous 0 after most of the previous set was destroyed, the target unhealthy since: the restored set is not parked beside one machine", async () => {
    world.emulator.setFaults({
      rules: [{ operation: "machines.cordon", action: { type: "delay", ms: 400 } }],
    });
    const restoring = parked().map((m) => m.id);
    const serving = unlabelled().map((m) => m.id);
    const { client, kill } = doomedClient();
    const run = startInstant(client, () => {}, 0);
    const uncordoned = () => restoring.every((id) => !world.emulator.machine(APP, id).cordoned);
    while (!uncordoned()) await sleep(5);
    // The first destroy of the current set waits 5 s (a 429); the others land.
    world.emulator.setFaults({
      rules: [
        {
          operation: "machines.destroy",
          times: 1,
          action: { type: "status", status: 429, retryAfterSeconds: 5 },
        },
      ],
    });
    const destroyed = () =>
      serving.filter((id) => world.emulator.machine(APP, id).state === "destroyed");
    while (destroyed().length < serving.length - 1) await sleep(5);
    kill();
    await run;
    await afterKill();
    expect(latestRelease(world.emulator).status).toBe("running");

    const digest = world.emulator.machine(APP, restoring[0]!).image_ref!.digest;
    world.emulator.setFaults({ badImages: [`registry.fly.io/acme-web@${digest}`] });
    await deploy320();
    expectWhole();
    // The live run was past its cut-over (it had destroyed what it replaced): the restored set serves.
    const servingNow = unlabelled().map((m) => m.id);
    expect(servingNow.length, JSON.stringify(servingNow)).toBeGreaterThanOrEqual(restoring.length);
  });

  it("a deploy of the serving version whose repair put the killed rollback back reports no release of that rollback as its own", async () => {
    world.emulator.setFaults({
      rules: [{ operation: "machines.metadata.patch", action: { type: "delay", ms: 400 } }],
    });
    const restoring = parked().map((m) => m.id);
    const { client, kill } = doomedClient();
    await startInstant(client, (e) => {
      if (e.type === "checks-passing") kill();
    });
    await afterKill();
    const dead = latestRelease(world.emulator);
    expect(dead.status).toBe("running");
    const digest = world.emulator.machine(APP, restoring[0]!).image_ref!.digest;
    world.emulator.setFaults({ badImages: [`registry.fly.io/acme-web@${digest}`] });

    const result = await deploy320();

    expect(result.status, result.reason ?? "").toBe("complete");
    expect(world.emulator.releases(APP).find((r) => r.id === dead.id)!.status).toBe("failed");
    // The run completed: the release it names (if any) is one that completed, on its target.
    expect(result.release?.id ?? null).not.toBe(dead.id);
  });

  it("a record that lost its parkedSet note, killed mid-wake: the woken parked machines still go back to sleep", async () => {
    world.emulator.setFaults({
      rules: [{ operation: "machines.start", action: { type: "delay", ms: 400 } }],
    });
    const { client, kill } = doomedClient();
    await startInstant(client, (e) => {
      if (e.type === "release-status" && e.status === "running") kill();
    });
    await afterKill();
    expect(parked().some((m) => m.state === "started")).toBe(true);
    const dead = latestRelease(world.emulator);
    expect(dead.status).toBe("running");
    const { parkedSet: _lost, ...semfly } = (dead.metadata as { semfly: Record<string, unknown> })
      .semfly;
    await world.client.updateRelease(dead.id, { status: "running", metadata: { semfly } });

    await rollingRollbackTo3112();
    expectWhole();
  });

  it("machines too big to suspend, killed once the cut-over stopped the previous set, the target unhealthy since: something still runs", async () => {
    // 4 GB machines cannot be suspended: the cut-over parks them stopped (stop, then the parked config).
    for (const m of unlabelled()) {
      const config = m.config as Record<string, unknown> & { guest?: Record<string, unknown> };
      await world.client.updateMachine(APP, m.id, {
        config: { ...config, guest: { ...(config.guest ?? {}), memory_mb: 4096 } } as never,
        region: m.region,
        skipLaunch: m.state !== "started",
      });
    }
    await world.emulator.idle();
    const restoring = parked().map((m) => m.id);
    const running = unlabelled()
      .filter((m) => m.state === "started")
      .map((m) => m.id);
    expect(running.length).toBeGreaterThan(0);
    world.emulator.setFaults({
      rules: [{ operation: "machines.cordon", action: { type: "delay", ms: 400 } }],
    });
    const { client, kill } = doomedClient();
    const run = startInstant(client, () => {});
    const uncordoned = () => restoring.every((id) => !world.emulator.machine(APP, id).cordoned);
    while (!uncordoned()) await sleep(5);
    // The parked configs wait (429s); the stops land.
    world.emulator.setFaults({
      rules: [
        {
          operation: "machines.update",
          action: { type: "status", status: 429, retryAfterSeconds: 5 },
        },
      ],
    });
    const stopped = () =>
      running.every((id) => world.emulator.machine(APP, id).state === "stopped");
    while (!stopped()) await sleep(5);
    kill();
    await run;
    await afterKill();
    expect(latestRelease(world.emulator).status).toBe("running");

    const digest = world.emulator.machine(APP, restoring[0]!).image_ref!.digest;
    world.emulator.setFaults({ badImages: [`registry.fly.io/acme-web@${digest}`] });
    await deploy320();
    expectWhole();
    await world.emulator.idle();
    const runningNow = unlabelled().filter((m) => m.state === "started");
    expect(
      runningNow.length,
      JSON.stringify(unlabelled().map((m) => [m.id, m.state])),
    ).toBeGreaterThanOrEqual(Math.min(running.length, restoring.length));
  });

  it("the repair itself killed while it parks the previous set, the target unhealthy since: the next run still finishes the cut-over", async () => {
    world.emulator.setFaults({
      rules: [{ operation: "machines.metadata.patch", action: { type: "delay", ms: 400 } }],
    });
    const restoring = parked().map((m) => m.id);
    const serving = unlabelled().map((m) => m.id);
    const first = doomedClient();
    await startInstant(first.client, (e) => {
      if (e.type === "checks-passing") first.kill();
    });
    await afterKill();
    const dead = latestRelease(world.emulator);
    expect(dead.status).toBe("running");

    // The repairing run (a rolling rollback) is killed once it parks the first previous machine.
    world.emulator.setFaults({
      rules: [{ operation: "machines.suspend", action: { type: "delay", ms: 600 } }],
    });
    const second = doomedClient();
    const { plan } = await prepareRollback(world.client, APP, {
      target: { spec: "3.1.12" },
      strategy: "rolling",
    });
    const repairing = executeRollout(second.client, plan, {
      timing: FAST_TIMING,
      waitTimeoutMs: 3_000,
    }).catch((error: unknown) => ({ status: "threw", reason: String(error) }));
    const parking = () =>
      parked().some(
        (m) => serving.includes(m.id) && m.config?.metadata?.semfly_parked_set === dead.id,
      );
    while (!parking()) await sleep(2);
    second.kill();
    await repairing;
    await afterKill();
    expect(world.emulator.releases(APP).find((r) => r.id === dead.id)!.status).toBe("running");

    const digest = world.emulator.machine(APP, restoring[0]!).image_ref!.digest;
    world.emulator.setFaults({ badImages: [`registry.fly.io/acme-web@${digest}`] });
    await deploy320();
    expectWhole();
    expect(world.emulator.releases(APP).find((r) => r.id === dead.id)!.status).not.toBe("running");
    // Past its cut-over (the repair had parked a previous machine): forward, or every previous one back.
    const servingNow = unlabelled().map((m) => m.id);
    const forward = restoring.every((id) => servingNow.includes(id));
    if (!forward) expect([...servingNow].sort()).toEqual([...serving].sort());
  });

  it("a record whose restoring note names no machine of the app, killed mid-wake: the woken parked machines still go back to sleep", async () => {
    world.emulator.setFaults({
      rules: [{ operation: "machines.start", action: { type: "delay", ms: 400 } }],
    });
    const { client, kill } = doomedClient();
    await startInstant(client, (e) => {
      if (e.type === "release-status" && e.status === "running") kill();
    });
    await afterKill();
    expect(parked().some((m) => m.state === "started")).toBe(true);
    const dead = latestRelease(world.emulator);
    const semfly = (dead.metadata as { semfly: Record<string, unknown> }).semfly;
    await world.client.updateRelease(dead.id, {
      status: "running",
      metadata: { semfly: { ...semfly, restoring: ["not-a-machine", 7] } },
    });

    await rollingRollbackTo3112();
    expectWhole();
  });

  it("the repair's parking of the previous set refused by Fly (suspend and stop): the record stays open for the next run, and nothing is left running cordoned while it is closed", async () => {
    world.emulator.setFaults({
      rules: [{ operation: "machines.metadata.patch", action: { type: "delay", ms: 400 } }],
    });
    const { client, kill } = doomedClient();
    await startInstant(client, (e) => {
      if (e.type === "checks-passing") kill();
    });
    await afterKill();
    const latestDeadId = latestRelease(world.emulator).id;
    expect(latestRelease(world.emulator).status).toBe("running");

    // While the next run repairs, Fly refuses every suspend and stop.
    world.emulator.setFaults({
      rules: [
        { operation: "machines.suspend", action: { type: "status", status: 503 } },
        { operation: "machines.stop", action: { type: "status", status: 503 } },
      ],
    });
    const refused = await rollingRollbackTo3112();
    world.emulator.setFaults({});
    await world.emulator.idle();

    // The run stops, and the dead record stays open: a closed one would leave a parked machine running
    // for good (gc never touches one that runs).
    expect(refused.status).toBe("failed");
    expect(refused.reason).toMatch(
      /could not be finished or put back: .*left open for the next run/,
    );
    expect(world.emulator.releases(APP).find((r) => r.id === latestDeadId)!.status).toBe("running");
    expect(world.emulator.leases(APP)).toEqual([]);

    // Fly answering again, the next run finishes it.
    const result = await rollingRollbackTo3112();
    expect(result.status, result.reason ?? "").toBe("complete");
    expect(world.emulator.releases(APP).find((r) => r.id === latestDeadId)!.status).not.toBe(
      "running",
    );
    expectWhole();
  });
});
