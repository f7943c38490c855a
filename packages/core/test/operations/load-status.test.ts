import { type Emulator, largeScenario, startEmulator } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlyClient, type FlyClient, loadAppStatus } from "../../src/index.js";

let emulator: Emulator;
let client: FlyClient;
const APP = "long-history";

// 10,000 releases: deploys between scale changes, every third deploy tagged only `deployment-<ULID>`
// (its version in the OCI label), every seventh other release made without an image.
beforeAll(async () => {
  emulator = await startEmulator({
    scenario: largeScenario({
      app: APP,
      releases: 10_000,
      machines: 30,
      labelOnlyEvery: 3,
      imagelessEvery: 7,
    }),
    bootTimeMs: 10,
    rateLimits: false,
  });
  client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
  });
}, 60_000);
afterAll(() => emulator.close());

describe("status", () => {
  it("needs the machines and one request for the releases they run, at 10,000 releases, cold", async () => {
    emulator.clearRequestLog();
    const status = await loadAppStatus(client, APP);
    expect(emulator.requestLog.map((r) => r.operation)).toEqual([
      "machines.list",
      "SemflyReleasesByVersion",
    ]);
    expect(status.drift).toBe(false);
    expect(status.machines).toHaveLength(30);
    expect(status.live?.version).toBe(status.machines[0]?.version);
    expect(status.live?.version).not.toBeNull();
    // Every tenth machine is a worker; regions go round five: workers land in gru.
    expect(status.placements.map((p) => `${p.processGroup} ${p.region}`)).toEqual([
      "app ams",
      "app gru",
      "app iad",
      "app sin",
      "app syd",
      "worker gru",
    ]);
  });

  it("names drift per process group and region after an image change without a release", async () => {
    const [first] = emulator.machines(APP);
    const release = Number(first?.config?.metadata?.fly_release_version);
    emulator.addImage(APP, {
      ref: `registry.fly.io/${APP}:deployment-01J000000000HOTFIX0000000`,
      labels: { "org.opencontainers.image.version": "9.0.0-hotfix.1" },
    });
    // What `fly machine update --image` leaves: the machine's release metadata, another image.
    emulator.addMachine(APP, {
      id: "hotfix0000001",
      region: "sin",
      versions: [{ release, image: `registry.fly.io/${APP}:deployment-01J000000000HOTFIX0000000` }],
    });
    emulator.clearRequestLog();
    const status = await loadAppStatus(client, APP);
    expect(emulator.requestLog.length).toBeLessThanOrEqual(3);
    expect(status.drift).toBe(true);
    expect(status.driftGroups).toEqual([
      expect.objectContaining({
        version: "9.0.0-hotfix.1",
        processGroup: "app",
        region: "sin",
        machineIds: ["hotfix0000001"],
      }),
    ]);
    const sin = status.placements.find((p) => p.region === "sin" && p.processGroup === "app");
    expect(sin?.runs.find((r) => !r.live)).toMatchObject({
      version: "9.0.0-hotfix.1",
      machineIds: ["hotfix0000001"],
    });
  });
});
