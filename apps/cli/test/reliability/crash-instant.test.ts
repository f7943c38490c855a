// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { type Emulator, startEmulator } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import { APP, emulatorEnv, runCli, type Sandbox, sandbox, spawnCli } from "./cli.js";

/**
 * The CLI killed with SIGKILL during `semfly rollback --instant` (no handler runs: no re-park, no lease
 * release, no release status), at points from the parked set's first healthy machine to the end of the
 * cut-over. What must hold after the next command (a rolling rollback to the same version): nothing labelled
 * parked runs, nothing else is left cordoned, no lease and no open release is left, and the app serves the
 * target. See README "What semfly guarantees".
 */
const LEASE_TTL_SECONDS = 30;
/** Killed this long after the first "<machine>: checks passing" line of the instant rollback. */
const KILL_AFTER_MS = [0, 40, 120];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const live = (e: Emulator) =>
  e.machines(APP).filter((m) => m.state !== "destroyed" && m.state !== "destroying");
const labelled = (e: Emulator) => live(e).filter((m) => m.config?.metadata?.semfly_parked_until);

describe.concurrent("the CLI killed with SIGKILL during an instant rollback", () => {
  it.each(KILL_AFTER_MS)(
    "killed %i ms after the parked set's first machine is healthy: the next rollback makes the app whole",
    async (afterMs) => {
      const e = await startEmulator({
        scenario: "demo",
        bootTimeMs: 50,
        checkDelayMs: 30,
        seed: 5,
      });
      const box = await sandbox();
      try {
        await killAndRepair(e, box, afterMs);
      } finally {
        await e.close();
        await box.dispose();
      }
    },
    60_000,
  );
});

async function killAndRepair(e: Emulator, box: Sandbox, afterMs: number): Promise<void> {
  const env = emulatorEnv(e, box);
  e.addImage(APP, {
    ref: "registry.fly.io/acme-web:3.2.0",
    labels: { "org.opencontainers.image.version": "3.2.0" },
  });
  const deploy = ["deploy", "3.2.0", "--image", "registry.fly.io/acme-web:3.2.0"];
  const deployed = await runCli([...deploy, "--strategy", "bluegreen", "--yes", "--app", APP], {
    env,
    cwd: box.cwd,
  });
  expect(deployed.code, deployed.stderr).toBe(0);
  const parkedDigest = labelled(e)[0]!.config!.metadata!.semfly_parked_digest!;
  const releasesBefore = e.releases(APP).length;

  const { done } = spawnCli(["rollback", "3.1.12", "--instant", "--yes", "--app", APP], {
    env,
    cwd: box.cwd,
    onLine: (line, proc) => {
      if (!/: checks passing$/.test(line)) return;
      setTimeout(() => proc.kill("SIGKILL"), afterMs);
    },
  });
  const dead = await done;
  expect(dead.signal, `the rollback ended before the kill\n${dead.stdout}${dead.stderr}`).toBe(
    "SIGKILL",
  );
  // What the dead process had sent is still handled; then its leases lapse by their TTL.
  await sleep(300);
  await e.idle();
  expect(e.releases(APP)[releasesBefore]?.status).toBe("running");
  e.advanceClock((LEASE_TTL_SECONDS + 1) * 1000);

  const again = await runCli(
    ["rollback", "3.1.12", "--no-instant", "--no-freeze", "--yes", "--json", "--app", APP],
    { env, cwd: box.cwd },
  );
  await e.idle();
  expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);
  for (const m of labelled(e)) expect(["stopped", "suspended"], m.id).toContain(m.state);
  const serving = live(e).filter((m) => !m.config?.metadata?.semfly_parked_until);
  for (const m of serving) expect(m.cordoned, `${m.id} left cordoned`).toBe(false);
  const managed = serving.filter((m) => m.config?.metadata?.fly_platform_version === "v2");
  for (const m of managed) expect(m.image_ref?.digest, m.id).toBe(parkedDigest);
  expect(e.leases(APP)).toEqual([]);
  expect(e.releases(APP).filter((r) => ["pending", "running"].includes(r.status))).toEqual([]);
  // Finished (its cut-over done) or put back (killed before the cut-over began), never left open.
  expect(["complete", "interrupted"]).toContain(e.releases(APP)[releasesBefore]!.status);
}
