import type { AppSpec, Emulator, Scenario } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoScenario, semfly, startTestEmulator } from "../helpers.js";

/**
 * The demo, with the fly.toml of 3.1.11's deploy (v18) and 3.1.12's (v23) recorded by hand, so they differ
 * as two deploys of a real app do; 3.1.10's deploy (v17) recorded none, as a release from before Fly kept
 * app configs does. A staging app gets its own, for `diff --against`.
 */
async function definitionsScenario(): Promise<Scenario> {
  const scenario = await demoScenario();
  const app = scenario.apps.find((a) => a.name === "acme-web")!;
  const release = (n: number) => app.releases!.find((r) => r.version === n)!;
  release(17).definition = null;
  release(18).definition = {
    app: "acme-web",
    primary_region: "ams",
    env: { PORT: "8080", LOG_LEVEL: "debug" },
    http_service: { internal_port: 8080, force_https: true, auto_stop_machines: null },
    vm: [{ memory_mb: 512 }],
  };
  release(23).definition = {
    app: "acme-web",
    primary_region: "ams",
    env: { PORT: "8080" },
    http_service: { internal_port: 8080, force_https: true, auto_stop_machines: "stop" },
    vm: [{ memory_mb: 1024 }],
    deploy: { release_command: "bin/migrate" },
  };
  const staging: AppSpec = {
    name: "acme-web-staging",
    organization: { slug: "acme" },
    images: [{ ref: "registry.fly.io/acme-web-staging:3.2.0" }],
    releases: [
      {
        version: 1,
        image: "registry.fly.io/acme-web-staging:3.2.0",
        createdAt: "2025-06-05T10:00:00Z",
        definition: {
          app: "acme-web-staging",
          primary_region: "ams",
          env: { PORT: "8080" },
          http_service: { internal_port: 8080, force_https: true, auto_stop_machines: "stop" },
          vm: [{ memory_mb: 256 }],
        },
      },
    ],
    machines: [{ region: "ams", release: 1 }],
  };
  scenario.apps.push(staging);
  return scenario;
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startTestEmulator(await definitionsScenario());
});
afterAll(async () => {
  await emulator.close();
});

describe("semfly config", () => {
  it("prints the fly.toml a version was deployed with, from its deploy release, as TOML", async () => {
    const { stdout, stderr, exitCode } = await semfly(["config", "3.1.11"], emulator);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    expect(stdout).toBe(
      [
        "# fly.toml of acme-web 3.1.11, as recorded with release v18",
        'app = "acme-web"',
        'primary_region = "ams"',
        "",
        "[env]",
        'PORT = "8080"',
        'LOG_LEVEL = "debug"',
        "",
        "[http_service]",
        "internal_port = 8080",
        "force_https = true",
        "",
        "[[vm]]",
        "memory_mb = 512",
        "",
      ].join("\n"),
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("prints it as JSON with --json, naming the version and release", async () => {
    const { stdout, exitCode } = await semfly(["config", "live", "--json"], emulator);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      app: "acme-web",
      version: "3.1.12",
      key: "3.1.12",
      digest: expect.stringMatching(/^sha256:ed5c6ce26bc7/),
      release: 23,
      config: {
        app: "acme-web",
        primary_region: "ams",
        env: { PORT: "8080" },
        http_service: { internal_port: 8080, force_https: true, auto_stop_machines: "stop" },
        vm: [{ memory_mb: 1024 }],
        deploy: { release_command: "bin/migrate" },
      },
    });
  });

  it("prints one release's fly.toml with --release, in Fly's v27 notation too", async () => {
    const { stdout, exitCode } = await semfly(["config", "--release", "v18", "--json"], emulator);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ version: "3.1.11", release: 18 });
  });

  it("says in one line that a release recorded no fly.toml, and where else to look (exit 1)", async () => {
    const { stdout, stderr, exitCode } = await semfly(["config", "3.1.10"], emulator);
    expect(exitCode).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      [
        "Error: Release v17 (3.1.10) of acme-web recorded no app config (fly.toml).",
        "  See the machine config it ran with: `semfly diff 3.1.10` (from the machines' history) or `fly machine status -d`.",
        "",
      ].join("\n"),
    );
  });

  it.each([
    [
      ["config", "3.1.11", "--release", "18"],
      "Error: Both VERSION (3.1.11) and --release 18 were given.",
    ],
    [["config", "9.9.9"], 'Error: "9.9.9" was never deployed to acme-web.'],
    [["config", "--release", "99"], 'Error: acme-web has no release "v99".'],
    [["config", "--release", "x1"], 'Error: "x1" is not a Fly release number.'],
  ])("refuses %j with exit 2, sending nothing that changes anything", async (args, line) => {
    const { stderr, exitCode } = await semfly(args, emulator);
    expect(exitCode).toBe(2);
    expect(stderr.split("\n")[0]).toBe(line);
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});

describe("semfly diff: the fly.toml difference", () => {
  it("lists each key path that differs between the two deploy releases' fly.tomls", async () => {
    const { stdout, exitCode } = await semfly(["diff", "3.1.11", "3.1.12"], emulator, {
      env: { COLUMNS: "160" },
    });
    expect(exitCode).toBe(0);
    const section = stdout.split("\n\n").find((part) => part.startsWith("App config (fly.toml)"));
    expect(section).toBe(
      [
        "App config (fly.toml)",
        "  KEY                              3.1.11  3.1.12",
        '  deploy                           -       {"release_command":"bin/migrate"}',
        "  env.LOG_LEVEL                    debug   -",
        "  http_service.auto_stop_machines  -       stop",
        "  vm[0].memory_mb                  512     1024",
        "  From releases v18 and v23.",
      ].join("\n"),
    );
  });

  it("carries the same difference in --json, with the releases read", async () => {
    const { stdout, exitCode } = await semfly(["diff", "3.1.11", "3.1.12", "--json"], emulator);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout).appConfig).toEqual({
      a: { release: 18, found: true },
      b: { release: 23, found: true },
      changes: [
        { path: "deploy", a: null, b: { release_command: "bin/migrate" }, change: "added" },
        { path: "env.LOG_LEVEL", a: "debug", b: null, change: "removed" },
        { path: "http_service.auto_stop_machines", a: null, b: "stop", change: "added" },
        { path: "vm[0].memory_mb", a: 512, b: 1024, change: "changed" },
      ],
    });
  });

  it("says which side recorded no fly.toml instead of comparing", async () => {
    const { stdout, exitCode } = await semfly(["diff", "3.1.10", "3.1.11"], emulator);
    expect(exitCode).toBe(0);
    expect(stdout).toContain(
      ["App config (fly.toml)", "  Release v17 (3.1.10) recorded no fly.toml."].join("\n"),
    );
  });

  it("compares two apps' live fly.tomls with --against", async () => {
    const { stdout, exitCode } = await semfly(
      ["diff", "--app", "acme-web", "--against", "acme-web-staging", "--json"],
      emulator,
    );
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout).appConfig).toEqual({
      a: { release: 23, found: true },
      b: { release: 1, found: true },
      changes: [
        { path: "app", a: "acme-web", b: "acme-web-staging", change: "changed" },
        { path: "deploy", a: { release_command: "bin/migrate" }, b: null, change: "removed" },
        { path: "vm[0].memory_mb", a: 1024, b: 256, change: "changed" },
      ],
    });
  });
});
