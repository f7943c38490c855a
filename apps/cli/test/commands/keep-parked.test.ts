import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startTestEmulator();
  for (const version of ["3.2.0", "3.3.0"]) {
    emulator.addImage("acme-web", {
      ref: `registry.fly.io/acme-web:${version}`,
      labels: { "org.opencontainers.image.version": version },
    });
  }
});
afterEach(async () => {
  await emulator.close();
});

const deployBluegreen = (version: string, ...extra: string[]) =>
  semfly(
    [
      "deploy",
      version,
      "--image",
      `registry.fly.io/acme-web:${version}`,
      "--yes",
      "--json",
      "--strategy",
      "bluegreen",
      ...extra,
    ],
    emulator,
  );

describe("semfly deploy --keep", () => {
  it("keeps two parked sets with --keep 2, and the default keeps only the one it parks", async () => {
    expect((await deployBluegreen("3.2.0")).exitCode).toBe(0);
    // The plan names what the default --keep 1 would destroy once green serves, and changes nothing.
    emulator.clearRequestLog();
    const dry = await semfly(
      [
        "deploy",
        "3.3.0",
        "--image",
        "registry.fly.io/acme-web:3.3.0",
        "--strategy",
        "bluegreen",
        "--dry-run",
      ],
      emulator,
    );
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain(
      "  Drop:      parked 3.1.12 (7 machines) after the cut-over (--keep 1)",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
    expect((await deployBluegreen("3.3.0", "--keep", "2")).exitCode).toBe(0);
    const both = await semfly(["parked"], emulator);
    expect(both.stdout).toMatch(/3\.1\.12 \(sha256:[0-9a-f]{12}\): 7 machines/);
    expect(both.stdout).toMatch(/3\.2\.0 \(sha256:[0-9a-f]{12}\): 7 machines/);

    // The parked set is named by its digest, as `semfly parked` shows it.
    const digest = emulator
      .machines("acme-web")
      .find((m) => m.config?.metadata?.semfly_parked_version === "3.1.12")!.config!.metadata!
      .semfly_parked_digest!;
    const plan = await semfly(["rollback", digest, "--instant", "--dry-run"], emulator);
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toMatch(/Start: {2}7 parked machines \(.*\), \d+ suspended \(resumed\)/);
    expect(plan.stdout).toContain(
      "Drop:   parked 3.2.0 (7 machines) after the cut-over (--keep 1)",
    );
    expect(plan.stdout).toContain("Dry run: nothing was changed.");
    // As every rollback plan: the preflight, and the freeze that follows.
    expect(plan.stdout).toContain("\nPreflight\n");
    expect(plan.stdout).toContain("Then the app is frozen on the target");
    const json = await semfly(["rollback", digest, "--instant", "--dry-run", "--json"], emulator);
    expect(JSON.parse(json.stdout)).toMatchObject({
      mode: "instant",
      dryRun: true,
      freezesAfter: true,
      preflight: { migrations: expect.any(Array) },
    });

    const back = await semfly(
      ["rollback", digest, "--instant", "--yes", "--json", "--no-freeze"],
      emulator,
    );
    expect(back.exitCode).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ status: "complete", mode: "instant" });

    // 3.1.12 serves again, 3.3.0 was parked in exchange, and the default --keep 1 destroyed 3.2.0.
    const one = await semfly(["parked"], emulator);
    expect(one.stdout).toMatch(/3\.3\.0 \(sha256:[0-9a-f]{12}\): 7 machines/);
    expect(one.stdout).not.toMatch(/3\.2\.0/);
    expect(one.stdout).not.toMatch(/3\.1\.12/);
  });

  it("refuses --keep 0 in one line with exit 2, the app untouched", async () => {
    const run = await deployBluegreen("3.2.0", "--keep", "0");
    expect(run.exitCode).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe(
      'Error: --keep "0" is not a whole number of parked sets of at least 1.',
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
