import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startTestEmulator();
});
afterEach(async () => {
  await emulator.close();
});

const DIGEST_3_1_11 = "sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59";

describe("semfly keep", () => {
  it("parks a stopped, service-less machine on the version's image by digest", async () => {
    const { stdout, exitCode } = await semfly(["keep", "3.1.11", "--json"], emulator);
    expect(exitCode).toBe(0);
    const { kept, created } = JSON.parse(stdout);
    expect(created).toBe(true);
    expect(kept).toMatchObject({
      version: "3.1.11",
      digest: DIGEST_3_1_11,
      name: "semfly-keep-3-1-11",
    });
    const machine = emulator.machine("acme-web", kept.machineId);
    expect(machine.state).not.toBe("started");
    expect(machine.config?.services).toBeUndefined();
    expect(machine.config?.image).toBe(`registry.fly.io/acme-web@${DIGEST_3_1_11}`);
    expect(machine.config?.metadata).toEqual({
      semfly_keep: "3.1.11",
      semfly_keep_digest: DIGEST_3_1_11,
    });
    const create = emulator.requestLog.find((e) => e.operation === "machines.create");
    expect(create?.status).toBe(200);
  });

  it("keeps a version once, and lists what is kept", async () => {
    expect((await semfly(["keep", "3.1.11"], emulator)).exitCode).toBe(0);
    const again = await semfly(["keep", "3.1.11"], emulator);
    expect(again.stdout).toMatch(/^3\.1\.11 is already kept on acme-web by machine \w+\.$/m);
    const machines = emulator.machines("acme-web").filter((m) => m.config?.metadata?.semfly_keep);
    expect(machines).toHaveLength(1);
    const list = await semfly(["keep", "--list"], emulator);
    expect(list.stdout.split("\n")[0]).toBe("Kept on acme-web:");
    expect(list.stdout).toContain(`3.1.11  ${machines[0]!.id} (semfly-keep-3-1-11, stopped)`);
    const empty = await semfly(["keep", "--list", "--app", "empty-app"], emulator);
    expect(empty.stdout.trim()).toBe("No versions are kept on empty-app.");
  });

  it("is left out of status, drift and rollouts", async () => {
    const before = JSON.parse((await semfly(["status", "--json"], emulator)).stdout);
    expect((await semfly(["keep", "3.1.11"], emulator)).exitCode).toBe(0);
    const after = JSON.parse((await semfly(["status", "--json"], emulator)).stdout);
    expect(after).toEqual(before);
    const plan = JSON.parse((await semfly(["rollback", "--dry-run", "--json"], emulator)).stdout);
    const kept = emulator.machines("acme-web").find((m) => m.config?.metadata?.semfly_keep);
    expect(plan.machines.map((m: { id: string }) => m.id)).not.toContain(kept!.id);
    expect(plan.machines).toHaveLength(7);
  });

  it("says plainly when Fly no longer has the image, and creates nothing", async () => {
    // Pruned: Fly's `Release.image` answers null, so no digest of 3.1.11 is left to pin a machine to.
    expect(emulator.removeImage("acme-web", "registry.fly.io/acme-web:v3.1.11")).toBe(true);
    emulator.clearRequestLog();
    const { stderr, exitCode } = await semfly(["keep", "3.1.11"], emulator);
    expect(exitCode).toBe(2);
    expect(stderr).toContain(
      "Error: No digest of 3.1.11's image is known on acme-web: Fly no longer resolves it (pruned?), so there is nothing exact to keep.",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
    expect(emulator.machines("acme-web").some((m) => m.config?.metadata?.semfly_keep)).toBe(false);
  });

  it("refuses VERSION together with --list, exit 2, nothing created", async () => {
    const { stderr, exitCode } = await semfly(["keep", "3.1.11", "--list"], emulator);
    expect(exitCode).toBe(2);
    expect(stderr).toContain("Error: --list takes no VERSION.");
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});

describe("semfly gc and kept machines", () => {
  const keptMachines = () =>
    emulator
      .machines("acme-web")
      .filter((m) => m.config?.metadata?.semfly_keep && !m.state.startsWith("destroy"));
  // semfly's clock in these runs is SEMFLY_NOW = 2025-06-11T12:00:00Z (see helpers.ts).
  const later = { env: { SEMFLY_NOW: "2025-06-11T14:00:00Z" } };

  it("destroys a kept machine once its --for is up, as keep --list says it will", async () => {
    const keep = await semfly(["keep", "3.1.11", "--for", "1h"], emulator);
    expect(keep.stdout).toMatch(
      /^Kept 3\.1\.11 on acme-web until 2025-06-11T13:00:00\.000Z: stopped machine \w+/,
    );
    const [machine] = keptMachines();
    expect(machine?.config?.metadata?.semfly_keep_until).toBe("2025-06-11T13:00:00.000Z");

    const early = await semfly(["gc"], emulator);
    expect(early).toEqual({
      stdout: `Destroyed 0 parked machines of acme-web.\nKept 3.1.11 (machine ${machine!.id}), until 2025-06-11T13:00:00.000Z.\n`,
      stderr: "",
      exitCode: 0,
    });
    const listed = await semfly(["keep", "--list"], emulator, later);
    expect(listed.stdout).toContain(
      `3.1.11  ${machine!.id} (semfly-keep-3-1-11, stopped)  registry.fly.io/acme-web@${DIGEST_3_1_11}  expired 2025-06-11T13:00:00.000Z (\`semfly gc\` destroys it)`,
    );

    const gc = await semfly(["gc", "--json"], emulator, later);
    expect(gc.exitCode).toBe(0);
    const result = JSON.parse(gc.stdout);
    expect(result.destroyed).toEqual([machine!.id]);
    expect(result.keptImages.destroyed).toMatchObject([{ version: "3.1.11", expired: true }]);
    expect(keptMachines()).toEqual([]);
    expect(emulator.leases("acme-web")).toEqual([]);
    const destroy = emulator.requestLog.find((e) => e.operation === "machines.destroy");
    expect(destroy?.path).toContain(machine!.id);
  });

  it("leaves a keep with no end to gc, and lets it go with gc --all, touching no app machine", async () => {
    expect((await semfly(["keep", "3.1.11"], emulator)).exitCode).toBe(0);
    const appMachines = emulator
      .machines("acme-web")
      .filter((m) => !m.config?.metadata?.semfly_keep);
    const gc = await semfly(["gc"], emulator, later);
    expect(gc.stdout).toMatch(/^Kept 3\.1\.11 \(machine \w+\), no end\.$/m);
    expect(keptMachines()).toHaveLength(1);

    const all = await semfly(["gc", "--all", "--yes"], emulator);
    expect(all.exitCode).toBe(0);
    expect(all.stdout).toMatch(
      /^Destroyed 0 parked machines of acme-web\.\nDestroyed 1 kept machine of acme-web, letting go of 3\.1\.11 \(\w+\)\.\n$/,
    );
    expect(keptMachines()).toEqual([]);
    const still = emulator.machines("acme-web").filter((m) => !m.config?.metadata?.semfly_keep);
    expect(still.map((m) => [m.id, m.state])).toEqual(appMachines.map((m) => [m.id, m.state]));
    expect((await semfly(["keep", "--list"], emulator)).stdout).toBe(
      "No versions are kept on acme-web.\n",
    );
  });

  it("never destroys an app machine that merely carries keep metadata", async () => {
    // Not one semfly made: keep never writes fly_platform_version, so neither list nor gc counts it.
    const impostor = emulator.addMachine("acme-web", {
      region: "iad",
      config: { metadata: { semfly_keep: "3.1.11", semfly_keep_digest: DIGEST_3_1_11 } },
    });
    const all = await semfly(["gc", "--all", "--yes", "--json"], emulator);
    expect(all.exitCode).toBe(0);
    expect(JSON.parse(all.stdout).destroyed).toEqual([]);
    expect(emulator.machine("acme-web", impostor.id).state).toBe("started");
    expect((await semfly(["keep", "--list"], emulator)).stdout).toBe(
      "No versions are kept on acme-web.\n",
    );
  });

  it("refuses a --for that is not a positive duration, exit 2, nothing created", async () => {
    for (const value of ["30", "-1h", "soon"]) {
      const { stderr, exitCode } = await semfly(["keep", "3.1.11", "--for", value], emulator);
      expect(exitCode).toBe(2);
      expect(stderr).toContain(`Error: --for "${value}" is not a positive duration.`);
    }
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
