import { describe, expect, it } from "vitest";
import {
  attachedVolumes,
  buildVersionHistory,
  crossedMigrations,
  crossedVersions,
  deployReleases,
  releaseCommandOf,
  secretsSince,
} from "../../src/index.js";
import { acmeWebHistory, digestOf, release } from "../builders.js";

const history = buildVersionHistory({ app: "acme-web", releases: acmeWebHistory() });
const entry = (key: string) => history.versions.find((v) => v.key === key)!;
const keys = (entries: { key: string }[]) => entries.map((e) => e.key);
const deployReleasesOf = (e: Parameters<typeof deployReleases>[0]) =>
  deployReleases(e).map((r) => r.version);

describe("versions a move crosses", () => {
  it.each([
    // Rolling back undoes the live version and everything between: their migrations ran, the target's schema did not.
    ["rollback", "3.1.12", "3.1.10", ["3.1.12", "3.1.11"]],
    ["rollback", "3.1.12", "3.1.11", ["3.1.12"]],
    // A deploy passes over what lies between (it does not undo the live version).
    ["deploy", "3.1.9", "3.1.12", ["3.1.11", "3.1.10"]],
  ] as const)("a %s from %s to %s crosses %j", (kind, from, to, crossed) => {
    expect(keys(crossedVersions(history, kind, from, entry(to)).map((c) => c.entry))).toEqual(
      crossed,
    );
  });

  it("counts a higher version rolled back from earlier: its migrations were never undone either", () => {
    const after = buildVersionHistory({
      app: "acme-web",
      releases: [
        ...acmeWebHistory(),
        release({
          version: 28,
          reason: "deploy",
          imageRef: "registry.fly.io/acme-web:3.2.0",
          imageDigest: digestOf("3.2.0"),
        }),
        // semfly's rollback to 3.1.12 made 3.1.12 live again; 3.2.0's migration stays applied.
        release({
          version: 29,
          reason: "rollback",
          imageRef: `registry.fly.io/acme-web@${digestOf("3.1.12")}`,
          imageDigest: digestOf("3.1.12"),
        }),
      ],
    });
    const to = after.versions.find((v) => v.key === "3.1.11")!;
    const crossed = crossedVersions(after, "rollback", "3.1.12", to);
    expect(crossed.map((c) => [c.entry.key, c.releases.map((r) => r.version)])).toEqual([
      ["3.2.0", [28]],
      ["3.1.12", [23]],
    ]);
  });
});

describe("release commands", () => {
  it.each([
    [{ deploy: { release_command: " bin/rails db:migrate " } }, "bin/rails db:migrate"],
    [{ deploy: { release_command: "" } }, null],
    [{ deploy: {} }, null],
    [{}, null],
    [null, null],
  ])("reads %j as %j", (definition, command) => {
    expect(releaseCommandOf(definition)).toBe(command);
  });

  it("counts a version's deploy release only, not the scale releases that carry the same config", () => {
    const definitions = new Map<number, unknown>([
      [23, { deploy: { release_command: "migrate" } }],
      [24, { deploy: { release_command: "migrate" } }],
    ]);
    const crossed = crossedVersions(history, "rollback", "3.1.12", entry("3.1.11"));
    expect(crossedMigrations(crossed, definitions, [])).toEqual([
      { version: "3.1.12", command: "migrate", source: "release-config", release: 23 },
    ]);
  });
});

describe("semfly's own rollback releases", () => {
  it("never count as a deploy that ran the release command (they are recorded with reason deploy)", () => {
    // 3.1.12 live, semfly rolls back to 3.1.11 (v28, reason "deploy", kind rollback in its metadata).
    const after = buildVersionHistory({
      app: "acme-web",
      releases: [
        ...acmeWebHistory(),
        release({
          version: 28,
          reason: "deploy",
          imageRef: `registry.fly.io/acme-web@${digestOf("3.1.11")}`,
          imageDigest: digestOf("3.1.11"),
          metadata: { semfly: { version: "3.1.11", kind: "rollback" } },
        }),
      ],
    });
    const definitions = new Map<number, unknown>([
      [18, { deploy: { release_command: "migrate" } }],
      [28, { deploy: { release_command: "migrate" } }],
    ]);
    const v3111 = after.versions.find((v) => v.key === "3.1.11")!;
    expect(deployReleasesOf(v3111)).toEqual([18]);
    // Going forward to 3.1.12 again crosses nothing: 3.1.11's only deploy is v18, below the target's.
    const crossed = crossedVersions(after, "rollback", "3.1.11", after.versions[0]!);
    expect(crossedMigrations(crossed, definitions, []).map((m) => m.release)).not.toContain(28);
  });
});

describe("secrets changed since the target", () => {
  const now = [
    { name: "A", digest: "a1", createdAt: "2025-01-01T00:00:00Z" },
    { name: "B", digest: "b2", createdAt: "2025-06-01T00:00:00Z" },
    { name: "C", digest: "c1", createdAt: "2025-06-02T00:00:00Z" },
  ];

  it("compares digests exactly when semfly recorded them on the target's release", () => {
    const recorded = buildVersionHistory({
      app: "acme-web",
      releases: [
        release({
          version: 1,
          reason: "deploy",
          imageRef: "registry.fly.io/acme-web:1.0.0",
          metadata: { semfly: { secrets: { A: "a1", B: "b1", D: "d1" } } },
        }),
      ],
    }).versions[0]!;
    expect(secretsSince(recorded, now)).toEqual({
      basis: "digests",
      since: null,
      changes: [
        { name: "B", change: "changed", setAt: "2025-06-01T00:00:00Z" },
        { name: "C", change: "added", setAt: "2025-06-02T00:00:00Z" },
        { name: "D", change: "removed", setAt: null },
      ],
    });
  });

  it("falls back to what was set after the target was deployed, by time", () => {
    const target = { ...entry("3.1.11"), deployedAt: "2025-05-15T00:00:00Z" };
    expect(secretsSince(target, now)).toMatchObject({
      basis: "time",
      since: "2025-05-15T00:00:00Z",
      changes: [
        { name: "B", change: "changed" },
        { name: "C", change: "changed" },
      ],
    });
  });
});

describe("volumes attached", () => {
  it("names each volume a changed machine mounts, with the listing's name", () => {
    const machines = [
      { id: "m1", config: { image: "x", mounts: [{ volume: "vol_1", path: "/data" }] } },
      { id: "m2", config: { image: "x" } },
    ];
    const volumes = [
      { id: "vol_1", name: "data", attachedMachineId: "m1" },
      { id: "vol_2", name: "logs", attachedMachineId: "m2" },
      { id: "vol_3", name: "spare", attachedMachineId: null },
    ];
    expect(attachedVolumes(machines, volumes)).toEqual([
      { volumeId: "vol_1", name: "data", path: "/data", machineId: "m1" },
      { volumeId: "vol_2", name: "logs", path: null, machineId: "m2" },
    ]);
  });
});
