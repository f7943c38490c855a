// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { type Emulator, startEmulator } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { APP, emulatorEnv, managedMachines, runCli, type Sandbox, sandbox } from "./cli.js";

/** What the CLI reports, and leaves behind, when the target's machines do not come up healthy. */
const BEFORE = "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979";
const TARGET_REF = "registry.fly.io/acme-web:v3.1.11";

let emulator: Emulator | null = null;
let box: Sandbox | null = null;
afterEach(async () => {
  await emulator?.close();
  await box?.dispose();
  emulator = null;
  box = null;
});

async function world() {
  emulator = await startEmulator({ scenario: "demo", bootTimeMs: 50, checkDelayMs: 10, seed: 3 });
  box = await sandbox();
  return { e: emulator, env: emulatorEnv(emulator, box), cwd: box.cwd };
}

describe("a rollback whose target does not come up healthy", () => {
  it("gives up at --wait-timeout 1s, puts every machine back, exits 1 and says so", async () => {
    const { e, env, cwd } = await world();
    const before = managedMachines(e, APP).map((m) => [m.id, m.config]);
    e.markImageNeverStarts(TARGET_REF, "hang");
    const started = Date.now();
    const run = await runCli(
      ["rollback", "3.1.11", "--yes", "--wait-timeout", "1s", "--app", APP],
      {
        env,
        cwd,
      },
    );
    expect(run.code, run.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.stdout).toMatch(/did not become healthy within the wait timeout \(1s\)/);
    expect(run.stdout).toMatch(/every changed machine was put back/);
    expect(managedMachines(e, APP).map((m) => [m.id, m.config])).toEqual(before);
    expect(e.leases(APP)).toEqual([]);
    expect(e.releases(APP).at(-1)?.status).toBe("failed");
  });

  it("reverts when the target's checks go critical, and the JSON result says reverted", async () => {
    const { e, env, cwd } = await world();
    e.markImageBad(TARGET_REF);
    const run = await runCli(["rollback", "3.1.11", "--yes", "--json", "--app", APP], { env, cwd });
    expect(run.code, run.stderr).toBe(1);
    const out = JSON.parse(run.stdout) as { status: string; reverted: boolean; reason: string };
    expect(out).toMatchObject({ status: "failed", reverted: true });
    expect(out.reason).toMatch(/health check servicecheck-00-http-8080 is critical/);
    await e.idle();
    expect(new Set(managedMachines(e, APP).map((m) => m.image_ref?.digest))).toEqual(
      new Set([BEFORE]),
    );
    expect(e.leases(APP)).toEqual([]);
  });

  it("with --no-revert leaves the changed machines, and status then reports the drift", async () => {
    const { e, env, cwd } = await world();
    e.markImageBad(TARGET_REF);
    const run = await runCli(
      ["rollback", "3.1.11", "--yes", "--no-revert", "--strategy", "canary", "--app", APP],
      { env, cwd },
    );
    expect(run.code, run.stderr).toBe(1);
    const status = await runCli(["status", "--json", "--app", APP], { env, cwd });
    const shown = JSON.parse(status.stdout) as { version: string | null; drift: boolean };
    expect(shown).toMatchObject({ version: null, drift: true });
    expect(e.leases(APP)).toEqual([]);
  });
});
