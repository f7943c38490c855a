import { describe, expect, it } from "vitest";
import { type RestReleaseJson, scenario } from "../src/index.js";
import { call, gql, start } from "./helpers.js";

const APP = "cfgapp";

function app() {
  return scenario(APP)
    .image("1.0.0")
    .image("1.1.0")
    .processGroup("app", {
      guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
      env: { PORT: "8080" },
      services: [
        {
          protocol: "tcp",
          internal_port: 8080,
          autostop: true,
          autostart: true,
          min_machines_running: 1,
          ports: [
            { port: 80, handlers: ["http"], force_https: true },
            { port: 443, handlers: ["tls", "http"] },
          ],
          checks: [{ type: "http", method: "GET", path: "/healthz", interval: "10s" }],
        },
      ],
    })
    .appSettings({ primaryRegion: "ams", releaseCommand: "bin/migrate" })
    .release({ image: "1.0.0" })
    .release({ image: "1.1.0", definition: { app: APP, primary_region: "iad" } })
    .machines(1);
}

const CONFIG_QUERY = `query ($app: String!) { app(name: $app) {
  currentReleaseUnprocessed { version configDefinition }
  currentRelease { version config { definition valid errors } }
  release(version: 1) { config { definition } }
  releasesUnprocessed(first: 5) { nodes { version configDefinition } }
} }`;

interface ConfigData {
  app: {
    currentReleaseUnprocessed: { version: number; configDefinition: unknown };
    currentRelease: {
      version: number;
      config: { definition: unknown; valid: boolean; errors: string[] } | null;
    };
    release: { config: { definition: Record<string, unknown> } | null };
    releasesUnprocessed: { nodes: Array<{ version: number; configDefinition: unknown }> };
  };
}

describe("release app config", () => {
  it("derives a fly.toml definition for scenario releases from the machine config", async () => {
    const emulator = await start({ scenario: app() });
    const res = await gql<ConfigData>(emulator, CONFIG_QUERY, { app: APP });
    expect(res.errors).toBeUndefined();
    expect(res.data?.app.release.config?.definition).toEqual({
      app: APP,
      primary_region: "ams",
      env: { PORT: "8080" },
      deploy: { release_command: "bin/migrate" },
      http_service: {
        internal_port: 8080,
        auto_stop_machines: "stop",
        auto_start_machines: true,
        min_machines_running: 1,
        force_https: true,
        checks: [{ interval: "10s", method: "GET", path: "/healthz" }],
      },
      vm: [{ cpu_kind: "shared", cpus: 1, memory_mb: 256 }],
    });
  });

  it("serves a scenario release's own definition as Release.config and configDefinition", async () => {
    const emulator = await start({ scenario: app() });
    const res = await gql<ConfigData>(emulator, CONFIG_QUERY, { app: APP });
    expect(res.data?.app.currentRelease).toEqual({
      version: 2,
      config: { definition: { app: APP, primary_region: "iad" }, valid: true, errors: [] },
    });
    expect(res.data?.app.currentReleaseUnprocessed).toEqual({
      version: 2,
      configDefinition: { app: APP, primary_region: "iad" },
    });
  });

  it("stores the definition POST /api/v1/releases sends and reads it back as the current config", async () => {
    const emulator = await start({ scenario: app() });
    const definition = {
      app: APP,
      primary_region: "ams",
      http_service: { internal_port: 8080, checks: [{ path: "/healthz" }] },
    };
    const created = await call<{ release: RestReleaseJson }>(emulator, "POST", "/api/v1/releases", {
      body: {
        app_name: APP,
        definition,
        image: `registry.fly.io/${APP}:1.1.0`,
        strategy: "ROLLING",
      },
    });
    const id = created.body.release.id;
    await call(emulator, "PATCH", `/api/v1/releases/${id}`, { body: { status: "running" } });
    await call(emulator, "PATCH", `/api/v1/releases/${id}`, { body: { status: "complete" } });
    const res = await gql<ConfigData>(emulator, CONFIG_QUERY, { app: APP });
    expect(res.data?.app.currentReleaseUnprocessed).toEqual({
      version: 3,
      configDefinition: definition,
    });
    expect(res.data?.app.currentRelease.config?.definition).toEqual(definition);
    expect(emulator.releases(APP).at(-1)?.definition).toEqual(definition);
  });

  it("keeps an empty definition as sent, so a test can see the release lost its config", async () => {
    const emulator = await start({ scenario: app() });
    await call(emulator, "POST", "/api/v1/releases", {
      body: {
        app_name: APP,
        definition: {},
        image: `registry.fly.io/${APP}:1.1.0`,
        strategy: "ROLLING",
      },
    });
    const res = await gql<ConfigData>(emulator, CONFIG_QUERY, { app: APP });
    expect(res.data?.app.releasesUnprocessed.nodes[0]).toEqual({
      version: 3,
      configDefinition: {},
    });
  });

  it("answers a null config for a release recorded without a definition", async () => {
    const built = app().release({ image: "1.1.0", definition: null }).build();
    const emulator = await start({ scenario: built });
    const res = await gql<ConfigData>(emulator, CONFIG_QUERY, { app: APP });
    expect(res.data?.app.currentRelease).toEqual({ version: 3, config: null });
    expect(res.data?.app.currentReleaseUnprocessed.configDefinition).toBeNull();
  });

  it("derives processes, vm per group and top-level checks for a multi-group app", async () => {
    const emulator = await start({
      scenario: scenario("multi")
        .image("1.0.0")
        .processGroup("worker", {
          init: { cmd: ["bin/worker"] },
          guest: { cpu_kind: "shared", cpus: 2, memory_mb: 1024 },
        })
        .release({ image: "1.0.0" })
        .machines(1),
    });
    const definition = emulator.releases("multi")[0]?.definition as Record<string, unknown>;
    expect(definition.processes).toEqual({ app: "", worker: "bin/worker" });
    expect(definition.checks).toEqual({
      httpget: {
        type: "http",
        port: 8080,
        interval: "15s",
        timeout: "10s",
        method: "GET",
        path: "/healthz",
        processes: ["app"],
      },
    });
    expect(definition.vm).toEqual([
      { cpu_kind: "shared", cpus: 1, memory_mb: 256, processes: ["app"] },
      { cpu_kind: "shared", cpus: 2, memory_mb: 1024, processes: ["worker"] },
    ]);
  });
});
