import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startTestEmulator();
  emulator.addImage("acme-web", {
    ref: "registry.fly.io/acme-web:3.2.0",
    labels: { "org.opencontainers.image.version": "3.2.0" },
  });
});
afterEach(async () => {
  await emulator.close();
});

const parkedIds = () =>
  emulator
    .machines("acme-web")
    .filter((m) => m.state !== "destroyed" && m.config?.metadata?.semfly_parked_until)
    .map((m) => m.id)
    .sort();

const deployBluegreen = (...extra: string[]) =>
  semfly(
    [
      "deploy",
      "3.2.0",
      "--image",
      "registry.fly.io/acme-web:3.2.0",
      "--yes",
      "--json",
      "--strategy",
      "bluegreen",
      ...extra,
    ],
    emulator,
  );

describe("semfly bluegreen, parked and instant rollback", () => {
  it("deploys bluegreen, lists the parked set, rolls back instantly and undoes it instantly", async () => {
    const deployed = await deployBluegreen();
    expect(deployed.exitCode).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({
      status: "complete",
      strategy: "bluegreen",
    });
    const parkedAfterDeploy = parkedIds();
    expect(parkedAfterDeploy).toHaveLength(7);

    const listed = await semfly(["parked"], emulator);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toMatch(
      /3\.1\.12 \(sha256:[0-9a-f]{12}\): 7 machines \(rootfs cost only\), parked until /,
    );

    const versions = await semfly(["versions"], emulator);
    expect(versions.stdout).toMatch(
      /Parked: 3\.1\.12 \(sha256:[0-9a-f]{12}\), 7 machines, parked until .*: `semfly rollback 3\.1\.12 --instant` starts them/,
    );

    const back = await semfly(["rollback", "--yes", "--json", "--no-freeze"], emulator);
    expect(back.exitCode).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ status: "complete", mode: "instant" });
    const parkedAfterRollback = parkedIds();
    expect(parkedAfterRollback).toHaveLength(7);
    expect(parkedAfterRollback).not.toEqual(parkedAfterDeploy);

    const undo = await semfly(["rollback", "--yes", "--json", "--no-freeze"], emulator);
    expect(undo.exitCode).toBe(0);
    expect(JSON.parse(undo.stdout)).toMatchObject({ status: "complete", mode: "instant" });
    expect(parkedIds()).toEqual(parkedAfterDeploy);
  });

  it("prints each restored machine's progress in a log: started, then checks passing, no lease counts", async () => {
    expect((await deployBluegreen()).exitCode).toBe(0);
    const restoring = parkedIds();

    const back = await semfly(["rollback", "--yes", "--no-freeze"], emulator);

    expect(back.exitCode, back.stderr).toBe(0);
    const lines = back.stdout.split("\n");
    for (const id of restoring) {
      const started = lines.indexOf(`${id}: started`);
      const passing = lines.indexOf(`${id}: checks passing`);
      // Cold ones come back cold: neither line.
      if (started >= 0) expect(passing, id).toBeGreaterThan(started);
    }
    expect(lines.some((l) => /: checks passing$/.test(l))).toBe(true);
    expect(lines.filter((l) => /^(Leased|Released) \d+/.test(l))).toEqual([]);
    // The record says what it is doing before the first machine wakes.
    const running = lines.findIndex((l) => /^Release v\d+ is running$/.test(l));
    expect(running).toBeGreaterThanOrEqual(0);
    expect(running).toBeLessThan(lines.findIndex((l) => /: started$/.test(l)));
  });

  it("freezes the app on the restored machines after an instant rollback, as after any rollback", async () => {
    expect((await deployBluegreen()).exitCode).toBe(0);
    const back = await semfly(["rollback", "--yes", "--json"], emulator);
    expect(back.exitCode).toBe(0);
    const result = JSON.parse(back.stdout);
    expect(result).toMatchObject({ status: "complete", mode: "instant" });
    expect(result.freeze).toMatchObject({ frozen: true, machines: { carrying: 7, of: 7 } });
    const carrying = emulator
      .machines("acme-web")
      .filter((m) => m.state !== "destroyed" && m.config?.metadata?.semfly_freeze)
      .map((m) => m.id);
    expect(carrying.sort()).toEqual(result.restored.sort());
  });

  it("freezes the green machines after a bluegreen rollback that redeploys, not the blue ones it parked", async () => {
    const back = await semfly(
      ["rollback", "3.1.11", "--strategy", "bluegreen", "--no-instant", "--yes", "--json"],
      emulator,
    );
    expect(back.exitCode).toBe(0);
    const result = JSON.parse(back.stdout);
    expect(result).toMatchObject({ status: "complete", freeze: { frozen: true } });
    const live = emulator
      .machines("acme-web")
      .filter((m) => m.state !== "destroyed" && !m.config?.metadata?.semfly_parked_until);
    const carrying = live.filter((m) => m.config?.metadata?.semfly_freeze);
    expect(carrying.length).toBeGreaterThan(0);
    expect(result.freeze.machines).toMatchObject({
      carrying: carrying.length,
      of: carrying.length,
    });
    expect(parkedIds().every((id) => !carrying.some((m) => m.id === id))).toBe(true);
  });

  it("redeploys a parked target when gates judge the rollback, and refuses --instant with them", async () => {
    expect((await deployBluegreen()).exitCode).toBe(0);
    emulator.clearRequestLog();
    const refused = await semfly(["rollback", "--instant", "--bake", "1s", "--yes"], emulator);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.split("\n")[0]).toBe(
      "Error: An instant rollback cannot be judged by gates, probes or a bake window (from the flags or semfly.toml): it waits for Fly's checks only.",
    );
    expect(emulator.mutatingRequests()).toEqual([]);

    const parkedBefore = parkedIds();
    const judged = await semfly(
      ["rollback", "--bake", "1s", "--yes", "--json", "--no-freeze"],
      emulator,
    );
    expect(judged.exitCode, judged.stderr).toBe(0);
    expect(judged.stderr).toContain("Note: the target is parked, but gates judge this rollback");
    const result = JSON.parse(judged.stdout);
    expect(result.status).toBe("complete");
    expect(result.mode).toBeUndefined();
    // Redeployed in place: the serving machines were updated, the parked set was not started.
    const updated = (result.machines as { id: string }[]).map((m) => m.id);
    expect(updated.length).toBeGreaterThan(0);
    expect(updated.some((id) => parkedBefore.includes(id))).toBe(false);
    expect(parkedIds()).toEqual(parkedBefore);
  });

  it("stops an instant rollback on Ctrl-C before the cut-over: the current version serves, nothing cordoned", async () => {
    expect((await deployBluegreen()).exitCode).toBe(0);
    const parkedBefore = parkedIds();
    const run = semfly(["rollback", "--yes", "--json", "--no-freeze"], emulator);
    const started = Date.now();
    while (!emulator.mutatingRequests().some((r) => r.operation === "machines.start")) {
      if (Date.now() - started > 10_000) throw new Error("the instant rollback never started");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    process.emit("SIGINT", "SIGINT");
    const { stdout, stderr, exitCode } = await run;
    expect(exitCode, stderr).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: "interrupted", mode: "instant" });
    expect(stderr).toContain("Interrupting: no new machine starts");
    expect(parkedIds()).toEqual(parkedBefore);
    const serving = emulator
      .machines("acme-web")
      .filter(
        (m) =>
          m.state !== "destroyed" &&
          !m.config?.metadata?.semfly_parked_until &&
          m.config?.metadata?.fly_platform_version,
      );
    expect(serving.filter((m) => m.cordoned)).toEqual([]);
    expect(emulator.leases("acme-web")).toEqual([]);
    expect(process.listenerCount("SIGINT")).toBe(0);
  });

  it("leaves parked machines out of status totals and drift, and names them parked", async () => {
    expect((await deployBluegreen()).exitCode).toBe(0);
    const status = JSON.parse((await semfly(["status", "--json"], emulator)).stdout);
    expect(status).toMatchObject({ version: "3.2.0", drift: false });
    expect(status.machines).toHaveLength(7);
    expect(status.machines.some((m: { id: string }) => parkedIds().includes(m.id))).toBe(false);
    const parked = status.unmanaged.filter((u: { reason: string }) =>
      u.reason.startsWith("parked until"),
    );
    expect(parked.map((u: { id: string }) => u.id).sort()).toEqual(parkedIds());
  });

  it("destroys blue with --keep-previous 0, and gc --all destroys parked machines only", async () => {
    expect((await deployBluegreen("--keep-previous", "0")).exitCode).toBe(0);
    expect(parkedIds()).toEqual([]);
    const gc = await semfly(["gc", "--all", "--yes"], emulator);
    expect(gc.exitCode).toBe(0);
    expect(gc.stdout).toContain("Destroyed 0 parked machines of acme-web.");
  });

  it("gc --all destroys a parked set and nothing else", async () => {
    expect((await deployBluegreen()).exitCode).toBe(0);
    const others = emulator
      .machines("acme-web")
      .filter((m) => m.state !== "destroyed" && !parkedIds().includes(m.id))
      .map((m) => m.id);
    const gc = await semfly(["gc", "--all", "--yes"], emulator);
    expect(gc.exitCode).toBe(0);
    expect(gc.stdout).toContain("Destroyed 7 parked machines of acme-web.");
    const live = emulator
      .machines("acme-web")
      .filter((m) => m.state !== "destroyed" && m.state !== "destroying")
      .map((m) => m.id);
    expect(live.sort()).toEqual(others.sort());
  });

  it("refuses --instant to a set a killed instant rollback un-parked, naming the command that finishes it", async () => {
    const versions = JSON.parse((await semfly(["versions", "--json"], emulator)).stdout);
    const target = versions.find((v: { version: string }) => v.version === "3.1.11").image;
    // What a killed `rollback 3.1.11 --instant` leaves in Fly's history: its record, still running.
    const dead = emulator.addRelease("acme-web", {
      status: "running",
      metadata: {
        semfly: { mode: "instant", kind: "rollback", version: "3.1.11", digest: target.digest },
      },
    });
    emulator.clearRequestLog();

    const run = await semfly(["rollback", "3.1.11", "--instant", "--yes"], emulator);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      `Error: 3.1.11 is not parked on acme-web: a killed instant rollback to it (release v${dead.version}) un-parked it.\n  Run \`semfly rollback 3.1.11 --no-instant\`: it finishes the killed rollback's cut-over (or undoes it if its machines are not healthy) before anything else.\n`,
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("refuses a bad --keep-previous in one line with exit 2, the app untouched", async () => {
    const run = await deployBluegreen("--keep-previous", "soon");
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("--keep-previous");
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
