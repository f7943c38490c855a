import { describe, expect, it } from "vitest";
import { largeScenario, loadScenario, type MachineJson, scenario } from "../src/index.js";
import { call, gql, start } from "./helpers.js";

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
      [23, "registry.fly.io/acme-web:3.1.12"],
    ]);
    expect(releases.filter((r) => r.status !== "complete")).toHaveLength(6);
    const images = emulator.images("acme-web");
    for (const image of images) {
      expect(image.labels["org.opencontainers.image.source"]).toBe(
        "https://github.com/acme/acme-web",
      );
      expect(image.labels["org.opencontainers.image.revision"]).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it("runs 4 app machines and 2 workers on 3.1.12 with passing checks and a 3.1.11 config in history", async () => {
    const emulator = await start();
    const machines = emulator.machines("acme-web");
    const groups = machines.map((m) => m.config?.metadata?.fly_process_group);
    expect(groups.filter((g) => g === "app")).toHaveLength(4);
    expect(groups.filter((g) => g === "worker")).toHaveLength(2);
    for (const machine of machines) {
      expect(machine.state).toBe("started");
      expect(machine.image_ref.labels["org.opencontainers.image.version"]).toBe("3.1.12");
      expect(machine.checks?.every((c) => c.status === "passing")).toBe(true);
      expect(machine.config?.metadata).toMatchObject({ fly_platform_version: "v2" });
      expect(machine.config?.metadata?.fly_release_id).toBeTruthy();
    }
    const appMachine = machines.find(
      (m) => m.config?.metadata?.fly_process_group === "app",
    ) as MachineJson;
    const history = emulator.machineVersions("acme-web", appMachine.id).map((v) => v.config?.image);
    expect(history).toContain("registry.fly.io/acme-web:v3.1.11");
  });

  it("loads the bundled scenario by name", async () => {
    const demo = await loadScenario("demo");
    expect(demo.apps[0]?.name).toBe("acme-web");
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
