import { type Emulator, scenario, startEmulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  appConfigToml,
  createFlyClient,
  type FlyClient,
  isSemflyError,
  loadVersionConfig,
  loadVersionDiff,
  loadVersionHistory,
} from "../../src/index.js";

const APP = "cfg";
const V1 = {
  app: APP,
  primary_region: "ams",
  env: { LOG_LEVEL: "debug" },
  vm: [{ memory_mb: 256 }],
};
const V2 = {
  app: APP,
  primary_region: "ams",
  env: {},
  vm: [{ memory_mb: 512 }],
  statics: [{ guest_path: "/app/public", url_prefix: "/" }],
};

let emulator: Emulator;
let client: FlyClient;

// 1.0.0 deployed with one fly.toml, then a scale release (Fly records the config then current), then 1.1.0
// with another, then 1.2.0 from a release that recorded none; 1.1.0 runs.
beforeEach(async () => {
  const builder = scenario(APP)
    .image("1.0.0")
    .image("1.1.0")
    .image("1.2.0")
    .release({ image: "1.0.0", definition: V1 })
    .release({
      reason: "scale",
      description: "Scaled app",
      definition: { app: APP, primary_region: "ams" },
    })
    .release({ image: "1.1.0", definition: V2 })
    .release({ image: "1.2.0", status: "failed", definition: null })
    .machines(2, { release: 3 });
  emulator = await startEmulator({ scenario: builder, bootTimeMs: 10 });
  client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
  });
});
afterEach(() => emulator.close());

const history = () => loadVersionHistory(client, APP);

describe("reading a version's fly.toml", () => {
  it("reads it from the version's deploy release, not a later scale release, in one request", async () => {
    const h = await history();
    emulator.clearRequestLog();
    const config = await loadVersionConfig(client, h, { spec: "1.0.0" });
    expect(config).toMatchObject({ app: APP, version: "1.0.0", release: 1, definition: V1 });
    expect(emulator.requestLog.map((r) => r.operation)).toEqual(["SemflyReleaseConfig"]);
  });

  it("reads the release named with --release, whatever version it belongs to", async () => {
    const config = await loadVersionConfig(client, await history(), { release: 2 });
    expect(config).toMatchObject({
      version: "1.0.0",
      release: 2,
      definition: { app: APP, primary_region: "ams" },
    });
  });

  it("refuses a release that recorded none with exit 1 and where else to look", async () => {
    const error = await loadVersionConfig(client, await history(), { spec: "1.2.0" }).catch(
      (e) => e,
    );
    expect(isSemflyError(error) && error.exitCode).toBe(1);
    expect(error.message).toBe("Release v4 (1.2.0) of cfg recorded no app config (fly.toml).");
    expect(error.suggestion).toContain("semfly diff 1.2.0");
  });

  it("writes it as TOML that reads back the same", async () => {
    const { parse } = await import("smol-toml");
    const config = await loadVersionConfig(client, await history(), { spec: "live" });
    expect(parse(appConfigToml(config.definition))).toEqual(V2);
  });

  it("diffs two versions' fly.tomls key by key", async () => {
    const diff = await loadVersionDiff(client, APP, {
      a: "1.0.0",
      b: "1.1.0",
      history: await history(),
    });
    expect(diff.appConfig).toEqual({
      a: { release: 1, found: true },
      b: { release: 3, found: true },
      changes: [
        { path: "env.LOG_LEVEL", a: "debug", b: null, change: "removed" },
        { path: "statics", a: null, b: V2.statics, change: "added" },
        { path: "vm[0].memory_mb", a: 256, b: 512, change: "changed" },
      ],
    });
  });
});
