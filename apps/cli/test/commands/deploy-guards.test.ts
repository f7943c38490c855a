import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

const label = (version: string) => ({ "org.opencontainers.image.version": version });
let emulator: Emulator;

// The demo runs 3.1.12. Pushed, not deployed: a hotfix build of 3.1.12 (another image), an image tagged
// flyctl's way whose label says 3.2.0, and one tagged 3.3.0.
beforeEach(async () => {
  emulator = await startTestEmulator();
  emulator.addImage("acme-web", {
    ref: "registry.fly.io/acme-web:3.1.12_hotfix.1",
    labels: label("3.1.12+hotfix.1"),
  });
  emulator.addImage("acme-web", {
    ref: "registry.fly.io/acme-web:deployment-01JX0000000000000000000000",
    labels: label("3.2.0"),
  });
  emulator.addImage("acme-web", { ref: "registry.fly.io/acme-web:3.3.0", labels: label("3.3.0") });
  emulator.clearRequestLog();
});
afterEach(async () => {
  await emulator.close();
});

describe("semfly deploy guards", () => {
  it("refuses a +build of the live version that is another image, even with --force-version", async () => {
    const digest = emulator.images("acme-web").find((i) => i.tag === "3.1.12_hotfix.1")!.digest;
    const live = emulator
      .images("acme-web")
      .find((i) => i.tag?.startsWith("deployment-01JV8Q"))!.digest;
    for (const extra of [[], ["--force-version", "--allow-downgrade"]]) {
      const { stdout, stderr, exitCode } = await semfly(
        [
          "deploy",
          "3.1.12+hotfix.1",
          "-i",
          "registry.fly.io/acme-web:3.1.12_hotfix.1",
          "--yes",
          ...extra,
        ],
        emulator,
      );
      expect(exitCode).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toBe(
        [
          `Error: 3.1.12+hotfix.1 has the same semver precedence as 3.1.12, live on acme-web as ${live}; registry.fly.io/acme-web:3.1.12_hotfix.1 is another image (${digest}).`,
          "  Build metadata (+…) does not make a new version: bump the patch, e.g. 3.1.13.",
          "",
        ].join("\n"),
      );
    }
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("refuses an image whose own label names another version, and says how to go on", async () => {
    const image = "registry.fly.io/acme-web:deployment-01JX0000000000000000000000";
    const { stderr, exitCode } = await semfly(["deploy", "3.4.0", "-i", image, "--yes"], emulator);
    expect(exitCode).toBe(2);
    expect(stderr).toBe(
      [
        `Error: ${image} names 3.2.0 (its org.opencontainers.image.version label), not 3.4.0.`,
        "  Deploy it as 3.2.0, or pass --force-version to deploy it as 3.4.0 anyway.",
        "",
      ].join("\n"),
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("deploys it as the version given with --force-version", async () => {
    const { stdout, exitCode } = await semfly(
      [
        "deploy",
        "3.4.0",
        "-i",
        "registry.fly.io/acme-web:3.3.0",
        "--force-version",
        "--yes",
        "--json",
      ],
      emulator,
    );
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ to: "3.4.0", status: "complete" });
  });

  it("refuses an image whose tag names another version with --json too", async () => {
    const { stdout, exitCode } = await semfly(
      ["deploy", "3.4.0", "-i", "registry.fly.io/acme-web:3.3.0", "--dry-run", "--json"],
      emulator,
    );
    expect(exitCode).toBe(2);
    expect(JSON.parse(stdout).error.code).toBe("IMAGE_NAMES_OTHER_VERSION");
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
