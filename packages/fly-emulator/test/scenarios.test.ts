import { describe, expect, it } from "vitest";
import { largeScenario, loadScenario, type MachineJson, scenario } from "../src/index.js";
import { call, gql, start } from "./helpers.js";

const LIVE = "registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X";

describe("the demo scenario", () => {
  it("deploys 3.1.10, 3.1.11 and 3.1.12 at v17, v18 and v23, and 3.1.9 at v3", async () => {
    const emulator = await start();
    const releases = emulator.releases("acme-web");
    expect(releases.map((r) => r.version)).toEqual(Array.from({ length: 25 }, (_, i) => i + 3));
    const deploys = releases
      .filter((r) => r.reason === "deploy")
      .map((r) => [r.version, r.imageRef]);
    expect(deploys).toEqual([
      [3, "registry.fly.io/acme-web:3.1.9"],
      [17, "registry.fly.io/acme-web:3.1.10"],
      [18, "registry.fly.io/acme-web:v3.1.11"],
      [23, LIVE],
    ]);
    expect(releases.filter((r) => r.status !== "complete")).toHaveLength(6);
    const images = emulator.images("acme-web");
    for (const image of images) {
      expect(image.labels["org.opencontainers.image.source"]).toBe(
        "https://github.com/acme/acme-web",
      );
      expect(image.labels["org.opencontainers.image.revision"]).toMatch(/^[0-9a-f]{40}$/);
    }
    // 3.1.12 was deployed the flyctl way: a deployment-<ULID> tag, the version only in its OCI label.
    expect(images.find((i) => i.ref === LIVE)?.labels["org.opencontainers.image.version"]).toBe(
      "3.1.12",
    );
  });

  it("carries the app config, with the release command, on every release", async () => {
    const emulator = await start();
    for (const release of emulator.releases("acme-web")) {
      expect(release.definition).toMatchObject({
        app: "acme-web",
        primary_region: "ams",
        deploy: { release_command: "bin/migrate" },
        http_service: {
          internal_port: 8080,
          auto_stop_machines: "stop",
          checks: [{ path: "/healthz" }],
        },
      });
      expect((release.definition as Record<string, unknown>).checks).toBeUndefined();
    }
  });

  it("runs app machines with service checks only, one autostopped, and workers with a standby", async () => {
    const emulator = await start();
    const machines = emulator.machines("acme-web").filter((m) => m.state !== "destroyed");
    const group = (m: MachineJson) => m.config?.metadata?.fly_process_group;
    const app = machines.filter((m) => group(m) === "app");
    expect(app.map((m) => [m.id, m.state])).toEqual([
      ["e784079b449483", "started"],
      ["5683d4e3c7e08e", "started"],
      ["3d8d9e1a265789", "started"],
      ["9080524f612387", "stopped"],
    ]);
    for (const machine of app) {
      expect(machine.config?.checks).toBeUndefined();
      expect(machine.config?.services?.[0]).toMatchObject({ autostop: true, autostart: true });
      expect(machine.image_ref.labels["org.opencontainers.image.version"]).toBe("3.1.12");
      expect(machine.config?.metadata).toMatchObject({ fly_platform_version: "v2" });
      expect(machine.config?.metadata?.fly_release_id).toBeTruthy();
      if (machine.state === "started")
        expect(machine.checks?.map((c) => [c.name, c.status])).toEqual([
          ["servicecheck-00-http-8080", "passing"],
        ]);
      else expect(machine.checks).toEqual([]);
    }
    const workers = machines.filter((m) => group(m) === "worker");
    expect(workers.map((m) => [m.id, m.state, m.config?.standbys ?? null])).toEqual([
      ["148e272f6d4d89", "started", null],
      ["d8d1779c4d0e18", "started", null],
      ["2b7e4c9d1a0f53", "stopped", ["148e272f6d4d89"]],
    ]);
    const history = emulator
      .machineVersions("acme-web", "e784079b449483")
      .map((v) => v.config?.image);
    expect(history).toContain("registry.fly.io/acme-web:v3.1.11");
  });

  it("has an unmanaged machine and a destroyed release command machine", async () => {
    const emulator = await start();
    const unmanaged = emulator.machine("acme-web", "6e82d3f1b0a947");
    expect(unmanaged.config?.metadata).toEqual({ purpose: "debug shell" });
    expect(unmanaged.config?.services).toBeUndefined();
    const releaseCommand = emulator.machine("acme-web", "91c3e5a7f20d48");
    expect(releaseCommand.state).toBe("destroyed");
    expect(releaseCommand.config?.metadata?.fly_process_group).toBe("fly_app_release_command");
  });

  it("loads the bundled scenarios by name", async () => {
    const demo = await loadScenario("demo");
    expect(demo.apps[0]?.name).toBe("acme-web");
    const real = await loadScenario("real-app");
    expect(real.apps[0]?.name).toBe("northwind-shop");
  });
});

describe("scenario builder", () => {
  it("builds a small app from code", async () => {
    const built = scenario("shop", { org: "shopco" })
      .image("1.0.0")
      .image("1.1.0", { tag: "v1.1.0", bad: true })
      .release({ image: "1.0.0", user: "dev@shop.test" })
      .release({ reason: "scale", description: "Scaled app to 2 machines" })
      .release({ image: "1.1.0", status: "failed" })
      .machines(2, { regions: ["ams", "iad"], release: 1 })
      .build();
    const emulator = await start({ scenario: built });
    expect(emulator.env.FLY_APP).toBe("shop");
    expect(emulator.releases("shop").map((r) => [r.version, r.status, r.imageRef])).toEqual([
      [1, "complete", "registry.fly.io/shop:1.0.0"],
      [2, "complete", "registry.fly.io/shop:1.0.0"],
      [3, "failed", "registry.fly.io/shop:v1.1.0"],
    ]);
    const machines = await call<MachineJson[]>(emulator, "GET", "/v1/apps/shop/machines");
    expect(machines.body.map((m) => m.region).sort()).toEqual(["ams", "iad"]);
    expect(machines.body[0]?.image_ref.tag).toBe("1.0.0");
  });
});

describe("large scenarios", () => {
  it("serves 10 000 releases and 500 machines", async () => {
    const began = Date.now();
    const emulator = await start({ scenario: largeScenario({ releases: 10_000, machines: 500 }) });
    expect(Date.now() - began).toBeLessThan(5_000);
    const res = await gql<{
      app: { releases: { totalCount: number; nodes: Array<{ version: number }> } };
    }>(
      emulator,
      `query { app(name: "bench-app") { releases(first: 100) { totalCount nodes { version } } } }`,
    );
    expect(res.data?.app.releases.totalCount).toBe(10_000);
    expect(res.data?.app.releases.nodes[0]?.version).toBe(10_000);
    const machines = await call<MachineJson[]>(
      emulator,
      "GET",
      "/v1/apps/bench-app/machines?summary=true",
    );
    expect(machines.body).toHaveLength(500);
  });
});

describe("the real-app scenario", () => {
  const APP = "northwind-shop";

  it("versions images only through OCI labels on deployment-<ULID> tags", async () => {
    const emulator = await start({ scenario: "real-app" });
    const deployed = emulator.images(APP).filter((i) => i.repository === APP);
    expect(deployed.map((i) => [i.tag, i.labels["org.opencontainers.image.version"]])).toEqual([
      ["deployment-01HQ3ZB7W2N8XKJ5R6T9VDM4PE", "2.3.0"],
      ["deployment-01HRC6N9M4Q2WJ8T5X7YBK3ZGA", "2.3.1"],
      ["deployment-01HTF2K8V6R3PD9N4M7WQX5CJB", "2.4.0"],
      ["deployment-01HVA9T3G5Y7KM2B8C4RNZ6PWD", "2.4.1"],
    ]);
    for (const release of emulator.releases(APP)) {
      expect(release.definition).toMatchObject({
        app: APP,
        deploy: { release_command: "bin/migrate" },
        http_service: { checks: [{ path: "/up" }, { path: "/readyz" }] },
      });
    }
  });

  it("has cold app machines, a standby, a console and an unmanaged machine, and compat checks", async () => {
    const emulator = await start({ scenario: "real-app" });
    const machines = await call<MachineJson[]>(emulator, "GET", `/v1/apps/${APP}/machines`);
    const summary = machines.body.map((m) => [
      m.config?.metadata?.fly_process_group ?? null,
      m.state,
      m.config?.metadata?.fly_platform_version ?? null,
    ]);
    expect(summary).toEqual([
      ["fly_app_console", "stopped", "v2"],
      ["worker", "stopped", "v2"],
      ["app", "suspended", "v2"],
      ["app", "started", "v2"],
      ["app", "started", "v2"],
      [null, "started", null],
      ["worker", "started", "v2"],
      ["app", "stopped", "v2"],
    ]);
    const started = machines.body.find((m) => m.id === "568390d4b7e018");
    expect(started?.config?.checks).toBeUndefined();
    expect(started?.checks?.map((c) => c.name)).toEqual([
      "bg_deployments_compat",
      "servicecheck-00-http-8080",
      "servicecheck-01-http-8080",
    ]);
  });
});
