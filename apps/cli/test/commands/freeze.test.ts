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

const ACTOR = { SEMFLY_ACTOR: "alice@acme.test" };
const DEPLOY = ["deploy", "3.2.0", "--image", "registry.fly.io/acme-web:3.2.0", "--yes"];
const TWO_HOURS_LATER = "2025-06-11T14:00:01Z";

/** The freeze key on each of the app's Fly Launch machines (the demo's unmanaged ones never get one). */
const freezeKeys = () =>
  emulator
    .machines("acme-web")
    .filter((m) => m.state !== "destroyed" && m.config?.metadata?.fly_platform_version === "v2")
    .map((m) => m.config?.metadata?.semfly_freeze ?? null);

describe("a rollback freezes the app", () => {
  it("freezes on the version it rolled back to, with the rollback's reason", async () => {
    const { stdout, exitCode } = await semfly(
      ["rollback", "--yes", "--reason", '"3.1.12 drops orders"'],
      emulator,
      { env: ACTOR },
    );
    expect(exitCode).toBe(0);
    expect(stdout).toContain(
      "Froze acme-web by alice@acme.test until unfrozen: 3.1.12 drops orders\n",
    );
    expect(freezeKeys().every((value) => value !== null)).toBe(true);
    // The record sits beside what the rollout wrote on its release, which stays as it was.
    const metadata = emulator.release("acme-web", 28)?.metadata as Record<string, unknown>;
    expect(metadata.semfly).toMatchObject({ kind: "rollback", reason: "3.1.12 drops orders" });
    expect(metadata.semfly_freeze).toMatchObject({ state: "frozen", by: "alice@acme.test" });

    const status = JSON.parse((await semfly(["status", "--json"], emulator)).stdout);
    expect(status.freeze).toEqual({
      frozen: true,
      expired: false,
      by: "alice@acme.test",
      reason: "3.1.12 drops orders",
      at: "2025-06-11T12:00:00.000Z",
      until: null,
      holds: {
        version: "3.1.11",
        digest: "sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59",
      },
      holdsLive: true,
      machines: { carrying: 7, of: 7 },
    });
  });

  it("names where it came from when no reason is given, and puts the freeze in --json", async () => {
    const { stdout, exitCode } = await semfly(["rollback", "--yes", "--json"], emulator, {
      env: ACTOR,
    });
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout).freeze).toMatchObject({
      frozen: true,
      reason: "rolled back from 3.1.12 to 3.1.11",
    });
  });

  it("says in a dry run that the rollback would freeze", async () => {
    const { stdout } = await semfly(["rollback", "--dry-run"], emulator);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(
      "The rollback would then freeze the app, so deploys are refused (--no-freeze skips it).",
    );
  });

  it("--no-freeze leaves the app unfrozen", async () => {
    const { exitCode, stdout } = await semfly(["rollback", "--yes", "--no-freeze"], emulator);
    expect(exitCode).toBe(0);
    expect(stdout).not.toContain("Froze");
    expect(freezeKeys().every((value) => value === null)).toBe(true);
  });
});

describe("deploying to a frozen app", () => {
  beforeEach(async () => {
    const frozen = await semfly(
      ["freeze", "--reason", '"incident 42"', "--until", "2h"],
      emulator,
      { env: ACTOR },
    );
    expect(frozen.stderr).toBe("");
    expect(frozen.exitCode).toBe(0);
    expect(frozen.stdout).toBe(
      [
        "Froze acme-web by alice@acme.test until 2025-06-11T14:00:00.000Z: incident 42",
        "  Deploys are refused (holding 3.1.12) on 7 machines; recorded on release v27.",
        "Undo: semfly unfreeze --app acme-web",
        "",
      ].join("\n"),
    );
  });

  it("refuses with exit 2, the reason, who and until when, and changes nothing", async () => {
    emulator.clearRequestLog();
    const { stderr, exitCode } = await semfly(DEPLOY, emulator);
    expect(exitCode).toBe(2);
    expect(stderr).toBe(
      [
        "Error: acme-web is frozen by alice@acme.test until 2025-06-11T14:00:00.000Z: incident 42",
        "  Deploy anyway with --unfreeze, or lift it first with `semfly unfreeze`.",
        "",
      ].join("\n"),
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("--unfreeze lifts the freeze and deploys", async () => {
    const { stdout, stderr, exitCode } = await semfly(
      [...DEPLOY, "--unfreeze", "--json"],
      emulator,
    );
    expect(exitCode).toBe(0);
    expect(stderr).toContain(
      "Lifted the freeze on acme-web (was by alice@acme.test until 2025-06-11T14:00:00.000Z: incident 42).",
    );
    expect(JSON.parse(stdout)).toMatchObject({ to: "3.2.0", status: "complete" });
    // The new configs were built after the lift: the freeze does not come back with them.
    expect(freezeKeys().every((value) => value === null)).toBe(true);
  });

  it("lets the deploy through once the freeze has expired, and shows it as expired", async () => {
    const later = { env: { SEMFLY_NOW: TWO_HOURS_LATER } };
    const versions = await semfly(["versions"], emulator, later);
    expect(versions.stdout.split("\n").slice(0, 2)).toEqual([
      "Freeze expired at 2025-06-11T14:00:00.000Z (was by alice@acme.test: incident 42); deploys are allowed.",
      "",
    ]);
    const status = JSON.parse((await semfly(["status", "--json"], emulator, later)).stdout);
    expect(status.freeze).toMatchObject({ frozen: false, expired: true });
    const { exitCode } = await semfly(DEPLOY, emulator, later);
    expect(exitCode).toBe(0);
  });

  it("shows the freeze above the versions table", async () => {
    const { stdout } = await semfly(["versions"], emulator);
    expect(stdout.split("\n").slice(0, 4)).toEqual([
      "Frozen by alice@acme.test until 2025-06-11T14:00:00.000Z: incident 42",
      "  Deploys are refused (holding 3.1.12); `semfly unfreeze` lifts it.",
      "",
      expect.stringMatching(/^ +VERSION +STATUS/),
    ]);
  });

  it("says what the freeze was set on once a rollback without a new freeze moved the app from under it", async () => {
    const back = await semfly(["rollback", "3.1.11", "--yes", "--no-freeze"], emulator);
    expect(back.exitCode, back.stderr).toBe(0);

    const { stdout } = await semfly(["versions"], emulator);
    expect(stdout.split("\n")[1]).toBe(
      "  Deploys are refused (set on 3.1.12, which is no longer live: rolled back since without a new freeze); `semfly unfreeze` lifts it.",
    );
    const status = JSON.parse((await semfly(["status", "--json"], emulator)).stdout);
    expect(status.freeze).toMatchObject({
      frozen: true,
      holds: { version: "3.1.12" },
      holdsLive: false,
    });
  });

  it("unfreeze lifts it, and a second unfreeze says there is nothing to lift", async () => {
    const first = await semfly(["unfreeze"], emulator, { env: ACTOR });
    expect(first).toMatchObject({
      exitCode: 0,
      stdout:
        "Unfroze acme-web on 7 machines (was frozen by alice@acme.test until 2025-06-11T14:00:00.000Z: incident 42).\n",
    });
    expect(await semfly(["unfreeze"], emulator)).toMatchObject({
      exitCode: 0,
      stdout: "acme-web is not frozen.\n",
    });
    expect((await semfly(DEPLOY, emulator)).exitCode).toBe(0);
  });
});

describe("freeze and unfreeze --json", () => {
  it("prints the freeze it set and the one it lifted", async () => {
    const frozen = await semfly(["freeze", "--json"], emulator, { env: ACTOR });
    expect(JSON.parse(frozen.stdout)).toEqual({
      app: "acme-web",
      freeze: {
        frozen: true,
        expired: false,
        by: "alice@acme.test",
        reason: "frozen",
        at: "2025-06-11T12:00:00.000Z",
        until: null,
        holds: {
          version: "3.1.12",
          digest: "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979",
        },
        holdsLive: true,
        machines: { carrying: 7, of: 7 },
      },
      release: 27,
      warnings: [],
      undo: "semfly unfreeze --app acme-web",
    });
    const lifted = JSON.parse((await semfly(["unfreeze", "--json"], emulator)).stdout);
    expect(lifted).toMatchObject({
      app: "acme-web",
      lifted: { by: "alice@acme.test" },
      machines: 7,
    });
  });
});

describe("bad freeze input", () => {
  it.each([
    [["freeze", "--until", "yesterday"], 'Error: --until "yesterday" is neither a duration'],
    [["freeze", "--reason", "x".repeat(301)], "Error: The reason is 301 characters"],
  ])("%j is refused with exit 2 and the app untouched", async (args, message) => {
    emulator.clearRequestLog();
    const { stderr, exitCode } = await semfly(args, emulator);
    expect(exitCode).toBe(2);
    expect(stderr.startsWith(message)).toBe(true);
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
