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

describe("semfly deploy", () => {
  it("deploys a new version with the rollout engine and prints the undo command", async () => {
    const { stdout, exitCode } = await semfly(
      [
        "deploy",
        "3.2.0",
        "--image",
        "registry.fly.io/acme-web:3.2.0",
        "--yes",
        "--json",
        "--strategy",
        "immediate",
      ],
      emulator,
    );
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      app: "acme-web",
      kind: "deploy",
      from: "3.1.12",
      to: "3.2.0",
      release: 28,
      status: "complete",
      strategy: "immediate",
      undo: "semfly rollback 3.1.12 --app acme-web",
      notRestored: null,
    });
    const versions = JSON.parse((await semfly(["versions", "--json"], emulator)).stdout);
    expect(versions[0]).toMatchObject({ version: "3.2.0", current: true, releases: [28] });
  });

  it("--dry-run plans without sending a mutating request", async () => {
    emulator.clearRequestLog();
    const { stdout, exitCode } = await semfly(
      ["deploy", "3.2.0", "-i", "registry.fly.io/acme-web:3.2.0", "--dry-run"],
      emulator,
    );
    expect(exitCode).toBe(0);
    expect(stdout.split("\n")[0]).toBe("Deploy 3.2.0 to acme-web (live: 3.1.12)");
    expect(stdout).toContain(
      "Dry run: nothing was changed. Run again without --dry-run to deploy.",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it.each([
    [
      ["deploy", "3.0.0", "--image", "registry.fly.io/acme-web:3.2.0"],
      "Error: 3.0.0 is lower than the live version 3.1.12.",
    ],
    [
      ["deploy", "3.2", "--image", "registry.fly.io/acme-web:3.2.0"],
      'Error: "3.2" is not a semver version.',
    ],
    [
      ["deploy", "3.2.0", "--image", "registry.fly.io/acme-web:nope"],
      'Error: Fly has no image "registry.fly.io/acme-web:nope" for acme-web.',
    ],
    [
      // `--image=`: @oclif/test's runCommand drops an empty separate argument, a shell does not.
      ["deploy", "3.2.0", "--image="],
      'Error: The image to deploy is empty ("").',
    ],
    [
      ["deploy", "3.2.0", "--image", "registry.fly.io/acme-web:3.2.0", "--max-unavailable", "8"],
      'Error: --max-unavailable "8" is more than the 7 machines this deploy changes on acme-web: all 7 would change at once.',
    ],
    [
      ["deploy", "3.1.11", "--image", "registry.fly.io/acme-web:3.2.0", "--allow-downgrade"],
      "Error: 3.1.11 was already deployed to acme-web as sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59; registry.fly.io/acme-web:3.2.0 is",
    ],
    [["deploy", "3.2.0"], "Error: Missing required flag image"],
  ])("refuses %j with exit 2 and sends nothing", async (args, message) => {
    emulator.clearRequestLog();
    const { stderr, exitCode } = await semfly([...args, "--yes"], emulator);
    expect(exitCode).toBe(2);
    expect(stderr.split("\n")[0]!.startsWith(message)).toBe(true);
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
