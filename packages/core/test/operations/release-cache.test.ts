import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, scenario, startEmulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createFileReleaseCache,
  createFlyClient,
  type FlyClient,
  loadReleases,
} from "../../src/index.js";

const APP = "long-lived";
let emulator: Emulator;
let client: FlyClient;
let dir: string;

beforeEach(async () => {
  const builder = scenario(APP, { token: "fm2_cache_test_token_123456" })
    .image("1.0.0")
    .image("1.1.0");
  for (let i = 0; i < 250; i++) builder.release({ image: i < 200 ? "1.0.0" : "1.1.0" });
  emulator = await startEmulator({ scenario: builder, bootTimeMs: 10 });
  client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
  });
  dir = await mkdtemp(join(tmpdir(), "semfly-cache-"));
});
afterEach(() => emulator.close());

const graphqlRequests = () => emulator.requestLog.filter((r) => r.service === "graphql").length;

async function load() {
  emulator.clearRequestLog();
  const cache = createFileReleaseCache(dir);
  const releases = await loadReleases(client, APP, { cache, endpoint: emulator.url });
  return { releases, requests: graphqlRequests() };
}

describe("the finished-release cache", () => {
  it("fetches every page cold, then only the newest page when warm", async () => {
    const cold = await load();
    expect(cold.releases).toHaveLength(250);
    expect(cold.requests).toBe(3); // pages of 100
    const warm = await load();
    expect(warm.requests).toBe(1);
    expect(warm.releases).toEqual(cold.releases);
  });

  it("picks up releases made since the last run", async () => {
    await load();
    emulator.addRelease(APP, { image: "registry.fly.io/long-lived:1.1.0", reason: "scale" });
    const warm = await load();
    expect(warm.requests).toBe(1);
    expect(warm.releases.map((r) => r.version).slice(0, 2)).toEqual([251, 250]);
  });

  it("fetches an unfinished release again until it finishes", async () => {
    emulator.addRelease(APP, { image: "registry.fly.io/long-lived:1.1.0", status: "running" });
    await load();
    const cached = JSON.parse(await readFile(await cacheFile(), "utf8"));
    expect(cached.watermark).toBe(250);
    expect(cached.releases.some((r: { status: string }) => r.status === "running")).toBe(false);
  });

  it("ignores a corrupt cache and rebuilds it", async () => {
    await load();
    await writeFile(await cacheFile(), "{ not json");
    const again = await load();
    expect(again.releases).toHaveLength(250);
    expect(again.requests).toBe(3);
    expect((await load()).requests).toBe(1);
  });

  it("ignores a cache written for another app with the same name (a recreated app)", async () => {
    await load();
    const file = await cacheFile();
    const cached = JSON.parse(await readFile(file, "utf8"));
    cached.releases = cached.releases.map((r: { id: string }) => ({ ...r, id: `old_${r.id}` }));
    await writeFile(file, JSON.stringify(cached));
    const again = await load();
    expect(again.releases.every((r) => !r.id.startsWith("old_"))).toBe(true);
    expect(again.releases).toHaveLength(250);
  });

  it("never writes the token into the cache", async () => {
    await load();
    expect(await readFile(await cacheFile(), "utf8")).not.toContain("fm2_cache_test_token_123456");
  });
});

async function cacheFile(): Promise<string> {
  const files = await readdir(join(dir, "releases"));
  expect(files).toHaveLength(1);
  return join(dir, "releases", files[0]!);
}
