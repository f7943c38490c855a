import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, scenario, startEmulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createFileReleaseCache,
  createFlyClient,
  type FlyClient,
  type ImageLabelSource,
  loadVersionHistory,
} from "../../src/index.js";

const APP = "labelled";
const tagOf = (n: number) => `deployment-01HZX${n}0000ABCDEFGHJKMNPQ`;
let emulator: Emulator;
let client: FlyClient;
let dir: string;

// Every image carries flyctl's default tag; only the OCI label (docker/metadata-action) tells its version.
// 2.3.0 is deployed, then many scale releases (so the history pages), then 2.4.0, a secrets release that
// Fly records without an image, and 2.5.0, which the machines run.
beforeEach(async () => {
  const builder = scenario(APP, { token: "fm2_labels_test_token_123456" })
    .image("2.3.0", { tag: tagOf(1) })
    .image("2.4.0", { tag: tagOf(2) })
    .image("2.5.0", { tag: tagOf(3) })
    .release({ image: "2.3.0" });
  for (let i = 0; i < 200; i++) builder.release({ reason: "scale", description: "Scaled app" });
  builder
    .release({ image: "2.4.0" })
    .release({ image: null, reason: "secrets", description: "Set secrets" })
    .release({ image: "2.5.0" })
    .machines(2, { regions: ["ams", "iad"] });
  emulator = await startEmulator({ scenario: builder, bootTimeMs: 10 });
  client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
    // Back-offs of milliseconds: the faults these tests inject would otherwise cost seconds each.
    retry: { minDelayMs: 5, maxDelayMs: 50 },
  });
  dir = await mkdtemp(join(tmpdir(), "semfly-labels-"));
});
afterEach(() => emulator.close());

const requests = (operation: string) =>
  emulator.requestLog.filter((r) => r.operation === operation).length;

async function load(options: Parameters<typeof loadVersionHistory>[2] = {}) {
  emulator.clearRequestLog();
  const history = await loadVersionHistory(client, APP, {
    cache: createFileReleaseCache(dir),
    endpoint: emulator.url,
    ...options,
  });
  return {
    history,
    pages: requests("SemflyReleasesPage"),
    labelRequests: requests("SemflyReleaseImageConfigs"),
    total: emulator.requestLog.length,
  };
}

describe("labels across the whole history", () => {
  it("versions every release by its image's OCI label, with one label request beside the pages", async () => {
    const cold = await load();
    expect(cold.history.versions.map((v) => [v.version, v.status])).toEqual([
      ["2.5.0", "live"],
      ["2.4.0", "previous"],
      ["2.3.0", "superseded"],
    ]);
    expect(cold.history.versions[2]?.releases).toHaveLength(201);
    // Pages of 100: 204 releases are 3 pages, as without labels; the labels cost one request, sent
    // while the pages come in, and none for 2.5.0, whose labels the machines report.
    expect(cold.pages).toBe(3);
    expect(cold.labelRequests).toBe(1);
    expect(cold.total).toBe(3 + 1 + 1);
  });

  it("keeps labels by digest for good: a warm load asks for none", async () => {
    await load();
    const warm = await load();
    expect(warm.labelRequests).toBe(0);
    expect(warm.pages).toBe(1);
    expect(warm.history.versions.map((v) => v.version)).toEqual(["2.5.0", "2.4.0", "2.3.0"]);
  });

  it("puts the secrets release without an image in the version that was live, and makes no version of it", async () => {
    const { history } = await load();
    const secrets = history.versions.find((v) => v.releases.some((r) => r.reason === "secrets"));
    expect(secrets?.version).toBe("2.4.0");
    expect(history.versions).toHaveLength(3);
  });

  it("asks an injected label source once per unversioned digest instead of Fly's GraphQL", async () => {
    // A stand-in for a registry client reading OCI config blobs: it knows the images by tag.
    const versionByRef = new Map([
      [`registry.fly.io/${APP}:${tagOf(1)}`, "2.3.0"],
      [`registry.fly.io/${APP}:${tagOf(2)}`, "2.4.0"],
    ]);
    const asked: string[][] = [];
    const registry: ImageLabelSource = {
      name: "test-registry",
      async lookup(_app, images) {
        asked.push(images.map((i) => i.ref ?? ""));
        return new Map(
          images.map((i) => [
            i.digest,
            { "org.opencontainers.image.version": versionByRef.get(i.ref ?? "") ?? "" },
          ]),
        );
      },
    };
    const { history, labelRequests } = await load({ labels: registry, cache: undefined });
    expect(labelRequests).toBe(0);
    // One batch; 2.5.0 may be in it too when its page comes in before the machines that label it.
    expect(asked).toHaveLength(1);
    expect(asked[0]).toEqual(expect.arrayContaining([...versionByRef.keys()]));
    expect(new Set(asked[0]).size).toBe(asked[0]?.length);
    expect(history.versions.map((v) => v.version)).toEqual(["2.5.0", "2.4.0", "2.3.0"]);
  });

  it("asks another source about a digest one source found unlabelled", async () => {
    const empty: ImageLabelSource = {
      name: "finds-nothing",
      lookup: async (_app, images) => new Map(images.map((i) => [i.digest, {}])),
    };
    const first = await load({ labels: empty });
    expect(first.history.versions.filter((v) => v.version === null)).toHaveLength(2);
    // The same source again: its empty answers are cached, so it is not asked twice.
    let askedAgain = 0;
    await load({
      labels: { name: "finds-nothing", lookup: async () => new Map([[String(askedAgain++), {}]]) },
    });
    expect(askedAgain).toBe(0);
    // Fly's release image configs are another source: asked, and they know the versions.
    const fly = await load();
    expect(fly.labelRequests).toBe(1);
    expect(fly.history.versions.map((v) => v.version)).toEqual(["2.5.0", "2.4.0", "2.3.0"]);
  });

  it("shows the history with a warning, and caches nothing, when Fly will not give the labels", async () => {
    // Always 500: more than the client retries, so the label request fails for good. It asks about 2
    // images, or 3 when 2.5.0's page comes in before the machines that label it.
    emulator.setFaults({
      rules: [{ operation: "SemflyReleaseImageConfigs", action: { type: "status", status: 500 } }],
    });
    const failed = await load();
    expect(failed.history.live?.version).toBe("2.5.0");
    expect(failed.history.versions.filter((v) => v.version === null)).toHaveLength(2);
    expect(failed.history.warnings).toEqual([
      expect.stringMatching(
        /^Could not read the labels of [23] images \(.+\); their versions may show as unversioned\.$/,
      ),
    ]);
    emulator.setFaults({});
    const again = await load();
    expect(again.labelRequests).toBe(1);
    expect(again.history.warnings).toEqual([]);
    expect(again.history.versions.map((v) => v.version)).toEqual(["2.5.0", "2.4.0", "2.3.0"]);
  });

  it("reads no labels beyond the machines' when labels are off", async () => {
    const { history, labelRequests } = await load({ labels: false, cache: undefined });
    expect(labelRequests).toBe(0);
    expect(history.live?.version).toBe("2.5.0");
    expect(history.versions.filter((v) => v.version === null)).toHaveLength(2);
  });
});

describe("a long history with label-only versions", () => {
  it("pages as many times as without labels, and asks for labels in a few batches beside them", async () => {
    const { largeScenario } = await import("@semfly/fly-emulator");
    const big = await startEmulator({
      scenario: largeScenario({
        app: "long-labelled",
        releases: 3_000,
        machines: 10,
        labelOnlyEvery: 3,
        imagelessEvery: 7,
      }),
      rateLimits: false,
    });
    try {
      const bigClient = createFlyClient({
        token: big.token,
        apiBaseUrl: big.url,
        flapsBaseUrl: big.url,
      });
      const history = await loadVersionHistory(bigClient, "long-labelled");
      const operations = big.requestLog.map((r) => r.operation);
      expect(operations.filter((o) => o === "SemflyReleasesPage")).toHaveLength(30);
      // 750 deploys, the newest 200 images kept: about 67 of those are label-only, two batches of ≤ 50.
      expect(operations.filter((o) => o === "SemflyReleaseImageConfigs")).toHaveLength(2);
      const kept = history.versions.filter((v) => v.digest !== null);
      expect(kept.every((v) => v.version !== null)).toBe(true);
      expect(history.versions.some((v) => v.key.startsWith("release v"))).toBe(false);
    } finally {
      await big.close();
    }
  });
});
