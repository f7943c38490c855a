/** The rollout flags and refusals that real Fly's behaviour calls for, end to end through the CLI. */
import { createFlyClient } from "@semfly/core";
import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

const APP = "acme-web";
const UNREACHABLE = "d8d1779c4d0e18";

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startTestEmulator();
  emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
});
afterEach(async () => {
  await emulator.close();
});

describe("semfly rollback on real-Fly machines", () => {
  it("refuses with exit 1 (Fly's state, not bad input), naming the machine, when one is on an unreachable host", async () => {
    emulator.setHostStatus(APP, UNREACHABLE, "unreachable");
    emulator.clearRequestLog();
    const { stdout, stderr, exitCode } = await semfly(["rollback", "3.1.11", "--yes"], emulator);
    expect(exitCode).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `Error: Machine ${UNREACHABLE} of acme-web is on an unreachable host; nothing was changed.\n  Try again once Fly reaches the host, or pass --skip-unreachable to leave them on their version.\n`,
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("with --skip-unreachable rolls the rest, reports the machine skipped and exits 1", async () => {
    emulator.setHostStatus(APP, UNREACHABLE, "unreachable");
    const { stdout, exitCode } = await semfly(
      ["rollback", "3.1.11", "--yes", "--json", "--skip-unreachable"],
      emulator,
    );
    expect(exitCode).toBe(1);
    const result = JSON.parse(stdout);
    expect(result.status).toBe("partial");
    expect(result.machines).toContainEqual(
      expect.objectContaining({
        id: UNREACHABLE,
        result: "skipped",
        note: "its host is unreachable",
      }),
    );
  });

  it("refuses with exit 2 an app without Fly Launch machines", async () => {
    const client = createFlyClient({
      token: emulator.token,
      apiBaseUrl: emulator.url,
      flapsBaseUrl: emulator.url,
      uiexBaseUrl: emulator.url,
    });
    for (const m of await client.listMachines(APP)) {
      if (m.metadata.fly_platform_version === "v2") await client.destroyMachine(APP, m.id);
    }
    await emulator.idle();
    const { stderr, exitCode } = await semfly(["rollback", "3.1.11", "--yes"], emulator);
    expect(exitCode).toBe(2);
    expect(stderr.split("\n")[0]).toBe(
      "Error: acme-web has no Fly Launch machines to change (1 outside Fly Launch management are left alone); nothing was changed.",
    );
  });

  it("--no-verify-cold is accepted and changes no cold machine's state", async () => {
    const { exitCode } = await semfly(
      ["rollback", "3.1.11", "--yes", "--no-verify-cold"],
      emulator,
    );
    expect(exitCode).toBe(0);
    const cold = emulator
      .machines(APP)
      .filter((m) => ["9080524f612387", "2b7e4c9d1a0f53"].includes(m.id));
    expect(cold.map((m) => m.state)).toEqual(["stopped", "stopped"]);
  });
});

describe("semfly deploy and the release command", () => {
  const deploy = ["deploy", "3.2.0", "--image", "registry.fly.io/acme-web:3.2.0", "--yes"];

  it("runs deploy.release_command before any machine changes and says so", async () => {
    emulator.clearRequestLog();
    const { stdout, exitCode } = await semfly(deploy, emulator);
    expect(exitCode).toBe(0);
    expect(stdout).toContain("  Release command: bin/migrate");
    expect(stdout).toContain("Release command running\nRelease command succeeded\n");
    const operations = emulator.mutatingRequests().map((r) => r.operation);
    expect(operations.indexOf("machines.create")).toBeLessThan(
      operations.indexOf("machines.update"),
    );
  });

  it("stops with exit 1, changing no machine, when the release command fails", async () => {
    emulator.markReleaseCommandFails("registry.fly.io/acme-web:3.2.0");
    const { stdout, exitCode } = await semfly(deploy, emulator);
    expect(exitCode).toBe(1);
    expect(stdout).toContain("The release command failed: the release command exited with code 1");
    expect(emulator.mutatingRequests().some((r) => r.operation === "machines.update")).toBe(false);
  });

  it("--skip-release-command deploys without it", async () => {
    emulator.markReleaseCommandFails("registry.fly.io/acme-web:3.2.0");
    emulator.clearRequestLog();
    const { stdout, exitCode } = await semfly([...deploy, "--skip-release-command"], emulator);
    expect(exitCode).toBe(0);
    expect(stdout).toContain(
      "Note: The release command (bin/migrate) is skipped (--skip-release-command).",
    );
    expect(emulator.mutatingRequests().some((r) => r.operation === "machines.create")).toBe(false);
  });
});
