import type { Emulator, Scenario } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { demoScenario, semfly, startTestEmulator } from "../helpers.js";

const VOLUME = "vol_data00000001";
const MOUNTED = "e784079b449483";

/** The demo app, with a migration on 3.1.12's deploy, two secrets and a volume on one machine. */
async function preflightScenario(
  tweak: (app: Scenario["apps"][number]) => void = () => {},
): Promise<Scenario> {
  const scenario = await demoScenario();
  const app = scenario.apps.find((a) => a.name === "acme-web")!;
  const deploy = app.releases!.find((r) => r.version === 23)!;
  deploy.definition = { app: "acme-web", deploy: { release_command: "bin/rails db:migrate" } };
  app.secrets = [
    { name: "DATABASE_URL", value: "postgres://old", createdAt: "2025-01-02T00:00:00Z" },
    { name: "STRIPE_KEY", value: "sk_live_2", createdAt: "2025-05-20T09:00:00Z" },
  ];
  app.volumes = [{ id: VOLUME, name: "data", region: "ams", sizeGb: 3 }];
  const machine = app.machines!.find((m) => m.id === MOUNTED)!;
  machine.config = { ...machine.config, mounts: [{ volume: VOLUME, path: "/data", name: "data" }] };
  tweak(app);
  return scenario;
}

let emulator: Emulator;
afterEach(async () => {
  await emulator.close();
});

describe("preflight in a rollback plan", () => {
  it("names the migration crossed, the secrets set since the target and the volumes, in the plan", async () => {
    emulator = await startTestEmulator(await preflightScenario());
    const { stdout, exitCode } = await semfly(["rollback", "3.1.11", "--dry-run"], emulator);
    expect(exitCode).toBe(0);
    const section = stdout.slice(
      stdout.indexOf("Preflight"),
      stdout.indexOf("\n\n", stdout.indexOf("Preflight")),
    );
    expect(section.split("\n")).toEqual([
      "Preflight",
      "  Migrations crossed: 3.1.12 (v23: bin/rails db:migrate) ran a release command; the database schema may not match 3.1.11.",
      "  Secrets changed since 3.1.11 was deployed (by time; removals cannot be seen): STRIPE_KEY changed. They stay as they are now.",
      `  Volumes attached: ${VOLUME} (data) on ${MOUNTED}: their data is not rolled back (--snapshot-volumes snapshots them first).`,
    ]);
    // The target image check is part of the same dry run.
    expect(stdout).toMatch(/Image check: /);
  });

  it("puts the same facts under `preflight` in --json, never a secret's value", async () => {
    emulator = await startTestEmulator(await preflightScenario());
    const { stdout, exitCode } = await semfly(
      ["rollback", "3.1.11", "--dry-run", "--json"],
      emulator,
    );
    expect(exitCode).toBe(0);
    const { preflight } = JSON.parse(stdout);
    expect(preflight).toMatchObject({
      image: { outcome: "exists" },
      migrations: [
        {
          version: "3.1.12",
          command: "bin/rails db:migrate",
          source: "release-config",
          release: 23,
        },
      ],
      secrets: {
        basis: "time",
        changes: [{ name: "STRIPE_KEY", change: "changed", setAt: "2025-05-20T09:00:00Z" }],
      },
      volumes: [{ volumeId: VOLUME, name: "data", path: "/data", machineId: MOUNTED }],
      snapshots: null,
      unknown: [],
    });
    expect(stdout).not.toContain("sk_live_2");
    expect(stdout).not.toContain("postgres://old");
  });

  it("finds a migration from a release-command machine when the release recorded no config", async () => {
    emulator = await startTestEmulator(
      await preflightScenario((app) => {
        // `definition: {}`: the release carries no config to read a release_command from; the demo's
        // destroyed release-command machine of v23 says what ran.
        app.releases!.find((r) => r.version === 23)!.definition = {};
      }),
    );
    const { stdout, exitCode } = await semfly(
      ["rollback", "3.1.11", "--dry-run", "--json"],
      emulator,
    );
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout).preflight.migrations).toEqual([
      {
        version: "3.1.12",
        command: "bin/migrate",
        source: "release-command-machine",
        release: 23,
      },
    ]);
  });

  it("trusts a recorded config and spends no app-wide machine listing on release-command machines", async () => {
    emulator = await startTestEmulator(await preflightScenario());
    emulator.clearRequestLog();
    expect((await semfly(["rollback", "3.1.11", "--dry-run"], emulator)).exitCode).toBe(0);
    const listings = emulator.requestLog.filter((e) => e.operation === "machines.list");
    expect(listings.map((e) => e.query)).toEqual([""]);
  });

  it("compares secrets by digest against what semfly recorded when it deployed the target", async () => {
    emulator = await startTestEmulator(await preflightScenario());
    for (const v of ["3.2.0", "3.3.0"]) {
      emulator.addImage("acme-web", {
        ref: `registry.fly.io/acme-web:${v}`,
        labels: { "org.opencontainers.image.version": v },
      });
      const deploy = await semfly(
        [
          "deploy",
          v,
          "--image",
          `registry.fly.io/acme-web:${v}`,
          "--yes",
          "--strategy",
          "immediate",
        ],
        emulator,
      );
      expect(deploy.exitCode).toBe(0);
    }
    const recorded = emulator.releases("acme-web").find((r) => r.version === 28)?.metadata as {
      semfly: { secrets: Record<string, string> };
    };
    expect(Object.keys(recorded.semfly.secrets)).toEqual(["DATABASE_URL", "STRIPE_KEY"]);
    emulator.setSecret("acme-web", "STRIPE_KEY", "sk_live_3");
    emulator.setSecret("acme-web", "SENTRY_DSN", "https://sentry");
    emulator.unsetSecret("acme-web", "DATABASE_URL");
    const { stdout, exitCode } = await semfly(
      ["rollback", "3.2.0", "--dry-run", "--json"],
      emulator,
    );
    expect(exitCode).toBe(0);
    const { secrets } = JSON.parse(stdout).preflight;
    expect(secrets.basis).toBe("digests");
    expect(
      secrets.changes.map((c: { name: string; change: string }) => `${c.name} ${c.change}`),
    ).toEqual(["DATABASE_URL removed", "SENTRY_DSN added", "STRIPE_KEY changed"]);
  });
});

describe("--snapshot-volumes", () => {
  it("snapshots each attached volume and waits for it before the first machine changes", async () => {
    emulator = await startTestEmulator(await preflightScenario());
    emulator.clearRequestLog();
    const { stdout, exitCode } = await semfly(
      ["rollback", "3.1.11", "--yes", "--json", "--snapshot-volumes", "--no-freeze"],
      emulator,
    );
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    const [snapshot] = emulator.volumeSnapshots("acme-web", VOLUME);
    expect(snapshot).toMatchObject({ status: "created" });
    expect(result.preflight.snapshots).toEqual([
      { volumeId: VOLUME, machineId: MOUNTED, snapshotId: snapshot!.id, status: "created" },
    ]);
    const log = emulator.requestLog.map((e) => e.operation);
    const created = log.indexOf("volumes.snapshots.create");
    const lastPoll = log.lastIndexOf("volumes.snapshots.list");
    const firstChange = log.findIndex(
      (op) => op === "machines.lease.acquire" || op === "machines.update",
    );
    expect(created).toBeGreaterThanOrEqual(0);
    expect(lastPoll).toBeGreaterThan(created);
    expect(firstChange).toBeGreaterThan(lastPoll);
    const metadata = emulator.release("acme-web", result.release)?.metadata as {
      semfly: { snapshots: unknown };
    };
    expect(metadata.semfly.snapshots).toEqual([
      { volume: VOLUME, machine: MOUNTED, snapshot: snapshot!.id },
    ]);
  });

  it("ends the plain output with the snapshot to restore from", async () => {
    emulator = await startTestEmulator(await preflightScenario());
    const { stdout, exitCode } = await semfly(
      ["rollback", "3.1.11", "--yes", "--snapshot-volumes", "--no-freeze"],
      emulator,
    );
    expect(exitCode).toBe(0);
    const [snapshot] = emulator.volumeSnapshots("acme-web", VOLUME);
    expect(stdout).toContain(
      `Volume snapshots taken before the change: ${snapshot!.id} (${VOLUME} on ${MOUNTED}).`,
    );
    expect(stdout).toContain(`fly volumes create <name> --snapshot-id ${snapshot!.id}`);
  });
});
