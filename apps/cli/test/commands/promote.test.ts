import type { AppSpec, Emulator, Scenario } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { demoScenario, semfly, startTestEmulator } from "../helpers.js";

const label = (version: string) => ({ "org.opencontainers.image.version": version });

/** A staging app of acme-web's organisation: 3.2.0 live and healthy, 3.3.0 failed, 3.4.0 rolled out then rolled back. */
function stagingApp(name: string, org: string): AppSpec {
  const ref = (v: string) => `registry.fly.io/${name}:${v}`;
  return {
    name,
    organization: { slug: org },
    machineConfig: { app: { guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } } },
    images: ["3.1.12", "3.2.0", "3.3.0"].map((v) => ({ ref: ref(v), labels: label(v) })),
    releases: [
      { version: 1, image: ref("3.1.12"), createdAt: "2025-06-01T10:00:00Z" },
      { version: 2, image: ref("3.2.0"), createdAt: "2025-06-05T10:00:00Z" },
      { version: 3, image: ref("3.3.0"), status: "failed", createdAt: "2025-06-06T10:00:00Z" },
    ],
    machines: [
      { region: "ams", release: 2 },
      { region: "iad", release: 2 },
    ],
  };
}

async function pipelineScenario(): Promise<Scenario> {
  const scenario = await demoScenario();
  scenario.apps.push(stagingApp("acme-web-staging", "acme"), stagingApp("beta-web", "beta"));
  return scenario;
}

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startTestEmulator(await pipelineScenario());
});
afterEach(async () => {
  await emulator.close();
});

const stagingDigest = () =>
  emulator.images("acme-web-staging").find((i) => i.tag === "3.2.0")?.digest ?? "";

describe("semfly promote", () => {
  it("deploys the staging digest into the target and records where it came from", async () => {
    const { stdout, stderr, exitCode } = await semfly(
      ["promote", "3.2.0", "--from", "acme-web-staging", "--to", "acme-web", "--yes", "--json"],
      emulator,
    );
    expect(stderr).not.toContain("Error");
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      app: "acme-web",
      kind: "deploy",
      from: "3.1.12",
      to: "3.2.0",
      status: "complete",
      image: `registry.fly.io/acme-web-staging@${stagingDigest()}`,
      undo: "semfly rollback 3.1.12 --app acme-web",
    });
    const semflyMeta = emulator.release("acme-web", result.release)?.metadata?.semfly;
    expect(semflyMeta).toMatchObject({
      version: "3.2.0",
      digest: stagingDigest(),
      promotedFrom: { app: "acme-web-staging", release: 2, digest: stagingDigest() },
    });
    // The app's Fly Launch machines; the demo's unmanaged ones are never touched.
    const images = emulator
      .machines("acme-web")
      .filter((m) => m.state !== "destroyed" && m.config?.metadata?.fly_platform_version === "v2")
      .map((m) => m.config?.image);
    // Fly's registry is per organisation: the target's machines pull the staging app's repository.
    expect(new Set(images)).toEqual(
      new Set([`registry.fly.io/acme-web-staging@${stagingDigest()}`]),
    );
  });

  it("refuses a version that never went live in staging, unless --force", async () => {
    emulator.clearRequestLog();
    const refused = await semfly(
      ["promote", "3.3.0", "--from", "acme-web-staging", "--to", "acme-web", "--yes"],
      emulator,
    );
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(
      "Error: 3.3.0 never went live there (no release of it completed): acme-web-staging never showed it healthy.",
    );
    expect(emulator.mutatingRequests()).toEqual([]);

    const forced = await semfly(
      [
        "promote",
        "3.3.0",
        "--from",
        "acme-web-staging",
        "--to",
        "acme-web",
        "--force",
        "--dry-run",
      ],
      emulator,
    );
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toContain("Deploy 3.3.0 to acme-web (live: 3.1.12)");
  });

  it("refuses an app of another organisation, even with --force", async () => {
    const { stderr, exitCode } = await semfly(
      ["promote", "3.2.0", "--from", "beta-web", "--to", "acme-web", "--yes", "--force"],
      emulator,
    );
    expect(exitCode).toBe(2);
    expect(stderr).toContain(
      "Error: beta-web is in organisation beta and acme-web in acme: Fly's registry is per organisation, so acme-web cannot pull beta-web's image.",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it.each([
    [
      ["promote", "3.2.0", "--from", "acme-web", "--to", "acme-web"],
      "Error: --from acme-web is the app to promote into.",
    ],
    [
      ["promote", "9.9.9", "--from", "acme-web-staging", "--to", "acme-web"],
      'Error: "9.9.9" was never deployed to acme-web-staging.',
    ],
    [["promote", "3.2.0", "--to", "acme-web"], "Missing required flag from"],
  ])("refuses bad input %j with one line and exit 2, the app untouched", async (args, line) => {
    emulator.clearRequestLog();
    const { stderr, exitCode } = await semfly(args, emulator);
    expect(exitCode).toBe(2);
    expect(stderr).toContain(line);
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("is refused by a freeze on the target, like a deploy", async () => {
    expect((await semfly(["freeze", "--reason", "incident"], emulator)).exitCode).toBe(0);
    emulator.clearRequestLog();
    const { stderr, exitCode } = await semfly(
      ["promote", "3.2.0", "--from", "acme-web-staging", "--to", "acme-web", "--yes"],
      emulator,
    );
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/Error: acme-web is frozen/);
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});

describe("semfly diff --against", () => {
  it("shows both apps' live versions, without a release range that two apps do not share", async () => {
    const { stdout, exitCode } = await semfly(
      ["diff", "--app", "acme-web", "--against", "acme-web-staging"],
      emulator,
    );
    expect(exitCode).toBe(0);
    const lines = stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual([
      "acme-web against acme-web-staging, their live versions:",
      "acme-web: 3.1.12 (live) → 3.2.0 (live)",
    ]);
    expect(stdout).toContain(
      "  3.2.0    sha256:12d841b76eac  registry.fly.io/acme-web-staging:3.2.0",
    );
    expect(stdout).toContain("guest.memory_mb");
    expect(stdout).not.toContain("Releases between");
  });

  it("compares the live versions of two apps", async () => {
    const { stdout, exitCode } = await semfly(
      ["diff", "--app", "acme-web", "--against", "acme-web-staging", "--json"],
      emulator,
    );
    expect(exitCode).toBe(0);
    const diff = JSON.parse(stdout);
    expect(diff).toMatchObject({
      app: "acme-web",
      against: "acme-web-staging",
      a: { app: "acme-web", version: "3.1.12" },
      b: { app: "acme-web-staging", version: "3.2.0", digest: stagingDigest() },
      sameImage: false,
    });
    expect(diff.labels).toContainEqual({
      key: "org.opencontainers.image.version",
      a: "3.1.12",
      b: "3.2.0",
      change: "changed",
    });
  });
});
