import { startEmulator } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import {
  buildVersionHistory,
  compareUrl,
  configRanVersion,
  createFlyClient,
  diffConfigs,
  diffVersions,
  loadVersionDiff,
  lookupVersion,
  type MachineConfig,
  normalizeRepository,
  type VersionHistory,
} from "../../src/index.js";
import { acmeWebHistory, digestOf, machine, release } from "../builders.js";

const app = "acme-web";
const SOURCE = "org.opencontainers.image.source";
const REVISION = "org.opencontainers.image.revision";

function history(): VersionHistory {
  return buildVersionHistory({
    app,
    releases: acmeWebHistory(),
    labelsByDigest: {
      [digestOf("3.1.11")]: { [SOURCE]: "https://github.com/acme/web", [REVISION]: "aaa111" },
      [digestOf("3.1.12")]: { [SOURCE]: "https://github.com/acme/web.git", [REVISION]: "bbb222" },
    },
  });
}

describe("diffing two versions", () => {
  it("names both images and whether they are the same", () => {
    const h = history();
    const diff = diffVersions({
      history: h,
      a: lookupVersion(h, "3.1.11"),
      b: lookupVersion(h, "live"),
    });
    expect(diff.a).toMatchObject({ version: "3.1.11", digest: digestOf("3.1.11"), live: false });
    expect(diff.b).toMatchObject({ version: "3.1.12", digest: digestOf("3.1.12"), live: true });
    expect(diff.sameImage).toBe(false);
    expect(diff.config).toBeNull();
  });

  it("gives the commit range and a GitHub compare link from the OCI labels", () => {
    const h = history();
    const diff = diffVersions({
      history: h,
      a: lookupVersion(h, "3.1.11"),
      b: lookupVersion(h, "3.1.12"),
    });
    expect(diff.source).toEqual({
      repository: "https://github.com/acme/web.git",
      from: "aaa111",
      to: "bbb222",
      compareUrl: "https://github.com/acme/web/compare/aaa111...bbb222",
    });
    expect(diff.labels).toEqual([
      { key: REVISION, a: "aaa111", b: "bbb222", change: "changed" },
      {
        key: SOURCE,
        a: "https://github.com/acme/web",
        b: "https://github.com/acme/web.git",
        change: "changed",
      },
    ]);
  });

  it("gives no commit range when a revision label is missing or the repositories differ", () => {
    const h = history();
    const a = lookupVersion(h, "3.1.10");
    expect(diffVersions({ history: h, a, b: lookupVersion(h, "3.1.12") }).source).toBeNull();
    const forked = buildVersionHistory({
      app,
      releases: acmeWebHistory(),
      labelsByDigest: {
        [digestOf("3.1.11")]: { [SOURCE]: "https://github.com/acme/web", [REVISION]: "aaa111" },
        [digestOf("3.1.12")]: { [SOURCE]: "https://github.com/fork/web", [REVISION]: "bbb222" },
      },
    });
    const diff = diffVersions({
      history: forked,
      a: lookupVersion(forked, "3.1.11"),
      b: lookupVersion(forked, "3.1.12"),
    });
    expect(diff.source).toBeNull();
  });

  it("takes registry labels for an image no machine runs", () => {
    const h = buildVersionHistory({ app, releases: acmeWebHistory() });
    const diff = diffVersions({
      history: h,
      a: lookupVersion(h, "3.1.10"),
      b: lookupVersion(h, "3.1.11"),
      labels: {
        a: { [SOURCE]: "https://gitlab.com/acme/web", [REVISION]: "c0ffee" },
        b: { [SOURCE]: "https://gitlab.com/acme/web", [REVISION]: "decaf0" },
      },
    });
    expect(diff.source?.compareUrl).toBe("https://gitlab.com/acme/web/-/compare/c0ffee...decaf0");
  });

  it("lists the Fly releases after the older version's last release up to the newer one's", () => {
    const h = history();
    const forward = diffVersions({
      history: h,
      a: lookupVersion(h, "3.1.11"),
      b: lookupVersion(h, "3.1.12"),
    });
    // 3.1.11's last release is v22 (v20 was cancelled but still its own); 3.1.12's is v27.
    expect(forward.releasesBetween.map((r) => r.version)).toEqual([27, 26, 25, 24, 23]);
    const backward = diffVersions({
      history: h,
      a: lookupVersion(h, "3.1.12"),
      b: lookupVersion(h, "3.1.11"),
    });
    expect(backward.releasesBetween.map((r) => r.version)).toEqual([27, 26, 25, 24, 23]);
    const same = diffVersions({
      history: h,
      a: lookupVersion(h, "3.1.12"),
      b: lookupVersion(h, "live"),
    });
    expect(same.releasesBetween).toEqual([]);
    expect(same.sameImage).toBe(true);
  });

  it("diffs machine configs key by key, leaving out the image and release keys", () => {
    const a: MachineConfig = {
      image: "registry.fly.io/acme-web:3.1.11",
      guest: { cpus: 1, memory_mb: 512 },
      env: { LOG_LEVEL: "info", OLD: "x" },
      services: [{ internal_port: 8080, ports: [{ port: 443 }] }],
      metadata: { fly_release_version: "18", fly_process_group: "app" },
    };
    const b: MachineConfig = {
      image: "registry.fly.io/acme-web:3.1.12",
      guest: { cpus: 1, memory_mb: 1024 },
      env: { LOG_LEVEL: "info", NEW: "y" },
      services: [{ internal_port: 8081, ports: [{ port: 443 }, { port: 80 }] }],
      metadata: { fly_release_version: "23", fly_process_group: "app" },
    };
    expect(diffConfigs(a, b)).toEqual([
      { path: "env.NEW", a: null, b: "y", change: "added" },
      { path: "env.OLD", a: "x", b: null, change: "removed" },
      { path: "guest.memory_mb", a: 512, b: 1024, change: "changed" },
      { path: "services[0].internal_port", a: 8080, b: 8081, change: "changed" },
      { path: "services[0].ports[1]", a: null, b: { port: 80 }, change: "added" },
    ]);
    const h = history();
    const diff = diffVersions({
      history: h,
      a: lookupVersion(h, "3.1.11"),
      b: lookupVersion(h, "3.1.12"),
      configs: { a, b: null },
    });
    expect(diff.config).toEqual({ foundA: true, foundB: false, changes: [] });
  });

  it("leaves out semfly's own metadata (a freeze, a kept image, park labels), not the app's", () => {
    const a: MachineConfig = {
      image: "registry.fly.io/acme-web:3.1.11",
      metadata: { fly_process_group: "app", team: "payments", semfly_freeze: '{"v":1}' },
    };
    const b: MachineConfig = {
      image: "registry.fly.io/acme-web:3.1.12",
      metadata: {
        fly_process_group: "app",
        team: "checkout",
        semfly_keep: "sha256:abc",
        semfly_parked_until: "2026-12-02T00:00:00Z",
      },
    };
    expect(diffConfigs(a, b)).toEqual([
      { path: "metadata.team", a: "payments", b: "checkout", change: "changed" },
    ]);
  });

  it("recognises the config that ran a version by digest, tag or release key", () => {
    const h = history();
    const v11 = lookupVersion(h, "3.1.11");
    expect(configRanVersion({ image: `registry.fly.io/acme-web@${digestOf("3.1.11")}` }, v11)).toBe(
      true,
    );
    expect(configRanVersion({ image: `registry.fly.io/acme-web@${digestOf("3.1.12")}` }, v11)).toBe(
      false,
    );
    expect(configRanVersion({ image: "registry.fly.io/acme-web:v3.1.11" }, v11)).toBe(true);
    expect(
      configRanVersion(
        { image: "registry.fly.io/acme-web:deploy-1", metadata: { fly_release_version: "19" } },
        v11,
      ),
    ).toBe(true);
  });
});

describe("finding a version to compare", () => {
  const h = history();
  it.each([
    ["3.1.11", "3.1.11"],
    ["v3.1.11", "3.1.11"],
    ["live", "3.1.12"],
    ["current", "3.1.12"],
    ["previous", "3.1.11"],
    ["^3.1.0", "3.1.12"],
    ["~3.1.9 <3.1.11", "3.1.10"],
    [digestOf("3.1.10").slice(0, 20), "3.1.10"],
  ])("finds %s", (spec, version) => {
    expect(lookupVersion(h, spec).version).toBe(version);
  });

  it("finds a failed version too, unlike a rollback target", () => {
    const withFailed = buildVersionHistory({
      app,
      releases: [
        ...acmeWebHistory(),
        release({
          version: 28,
          status: "failed",
          imageRef: "registry.fly.io/acme-web:3.1.13",
          imageDigest: digestOf("3.1.13"),
        }),
      ],
    });
    expect(lookupVersion(withFailed, "3.1.13").status).toBe("failed");
  });

  it.each([
    ["banana", "NOT_A_VERSION"],
    ["9.9.9", "NEVER_DEPLOYED"],
    ["^9", "RANGE_NO_MATCH"],
    ["sha256:ffffffff", "NEVER_DEPLOYED"],
  ])("refuses %s as bad input (%s)", (spec, code) => {
    expect(() => lookupVersion(h, spec)).toThrow(expect.objectContaining({ code, kind: "input" }));
  });

  it("refuses live on an app that has none", () => {
    const empty = buildVersionHistory({ app: "empty", releases: [] });
    expect(() => lookupVersion(empty, "live")).toThrow(
      expect.objectContaining({ code: "NO_LIVE_VERSION" }),
    );
  });
});

describe("compare links", () => {
  it.each([
    ["https://github.com/o/r", "https://github.com/o/r/compare/a...b"],
    ["git@github.com:o/r.git", "https://github.com/o/r/compare/a...b"],
    ["https://gitlab.com/g/p/", "https://gitlab.com/g/p/-/compare/a...b"],
    ["https://git.example.com/o/r", null],
    ["not a url", null],
  ])("%s → %s", (source, url) => {
    expect(compareUrl(source, "a", "b")).toBe(url);
  });

  it("normalises repository spellings", () => {
    expect(normalizeRepository("git+https://github.com/o/r.git")).toBe("https://github.com/o/r");
  });
});

describe("loading a diff from Fly", () => {
  it("reads labels from the registry and configs from the machines' history, sending nothing mutating", async () => {
    const emulator = await startEmulator({
      scenario: "demo",
      bootTimeMs: 10,
      checkDelayMs: 10,
      rateLimits: false,
    });
    try {
      const client = createFlyClient({
        token: emulator.token,
        apiBaseUrl: emulator.url,
        flapsBaseUrl: emulator.url,
        uiexBaseUrl: emulator.url,
      });
      const diff = await loadVersionDiff(client, app, { a: "3.1.11" });
      expect(diff.b.version).toBe("3.1.12");
      expect(diff.source?.compareUrl).toMatch(
        /^https:\/\/github\.com\/acme\/acme-web\/compare\/[0-9a-f]{40}\.\.\.[0-9a-f]{40}$/,
      );
      expect(diff.config?.foundA).toBe(true);
      expect(diff.config?.foundB).toBe(true);
      expect(diff.config?.changes).toContainEqual({
        path: "guest.memory_mb",
        a: 512,
        b: 1024,
        change: "changed",
      });
      expect(emulator.mutatingRequests()).toEqual([]);
    } finally {
      await emulator.close();
    }
  });

  it("uses a machine's own history when told what is live", () => {
    const h = buildVersionHistory({
      app,
      releases: acmeWebHistory(),
      machines: [machine({ id: "m1", image: "registry.fly.io/acme-web:3.1.12" })],
    });
    expect(lookupVersion(h, "live").machines.map((m) => m.id)).toEqual(["m1"]);
  });
});
