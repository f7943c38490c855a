import { startEmulator } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import { APP, emulatorEnv, runCli, sandbox } from "./cli.js";

/** Hostile review of `rollback --instant`'s plain progress lines (not a TTY). */
describe("review: rollback --instant progress off a terminal", () => {
  it("the lease summary lines count every lease the instant rollback took", async () => {
    const e = await startEmulator({ scenario: "demo", bootTimeMs: 20, checkDelayMs: 10, seed: 5 });
    const box = await sandbox();
    try {
      const env = emulatorEnv(e, box);
      e.addImage(APP, {
        ref: "registry.fly.io/acme-web:3.2.0",
        labels: { "org.opencontainers.image.version": "3.2.0" },
      });
      const deployed = await runCli(
        [
          "deploy",
          "3.2.0",
          "--image",
          "registry.fly.io/acme-web:3.2.0",
          "--strategy",
          "bluegreen",
          "--yes",
          "--app",
          APP,
        ],
        { env, cwd: box.cwd },
      );
      expect(deployed.code, deployed.stderr).toBe(0);

      const rolled = await runCli(["rollback", "3.1.12", "--instant", "--yes", "--app", APP], {
        env,
        cwd: box.cwd,
      });
      expect(rolled.code, rolled.stderr).toBe(0);
      const leasedLine = rolled.stdout.match(/^Leased (\d+) machines?$/m);
      const releasedLine = rolled.stdout.match(/^Released (\d+) leases?$/m);
      // Today: "Leased 7 machines" (the count of the current set, reached half-way through the parked and
      // current leases) and "Released 14 leases": the log says fewer machines were leased than released.
      expect({ leased: leasedLine?.[1], released: releasedLine?.[1] }, rolled.stdout).toEqual({
        leased: releasedLine?.[1],
        released: releasedLine?.[1],
      });
    } finally {
      await e.close();
      await box.dispose();
    }
  }, 60_000);
});
