import { describe, expect, it } from "vitest";
import { buildVersionHistory, type VersionHistory } from "../../src/index.js";
import { acmeWebHistory, digestOf, machine, release } from "../builders.js";

const app = "acme-web";
const releaseNumbers = (history: VersionHistory, key: string) =>
  history.versions.find((v) => v.key === key)?.releases.map((r) => r.version);

describe("grouping Fly releases into versions", () => {
  const history = buildVersionHistory({ app, releases: acmeWebHistory() });

  it("orders versions by semver precedence, highest first", () => {
    expect(history.versions.map((v) => v.version)).toEqual(["3.1.12", "3.1.11", "3.1.10", "3.1.9"]);
  });

  it("makes the last deployed version live and gives it every release since, highest first", () => {
    expect(history.live?.version).toBe("3.1.12");
    expect(releaseNumbers(history, "3.1.12")).toEqual([27, 26, 25, 24, 23]);
  });

  it("gives scale, region and cancelled releases to the version that was live", () => {
    expect(releaseNumbers(history, "3.1.11")).toEqual([22, 21, 20, 19, 18]);
    expect(releaseNumbers(history, "3.1.9")).toEqual([
      16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3,
    ]);
    expect(
      history.versions.find((v) => v.key === "3.1.11")?.releases.find((r) => r.version === 20)
        ?.status,
    ).toBe("cancelled");
  });

  it("recognises a v-prefixed tag as the same semver", () => {
    const entry = history.versions.find((v) => v.version === "3.1.11");
    expect(entry?.imageRef).toBe("registry.fly.io/acme-web:v3.1.11");
    expect(entry?.digest).toBe(digestOf("3.1.11"));
  });

  it.each([
    ["3.1.12", "live"],
    ["3.1.11", "previous"],
    ["3.1.10", "superseded"],
    ["3.1.9", "superseded"],
  ])("gives %s the status %s", (key, status) => {
    expect(history.versions.find((v) => v.key === key)?.status).toBe(status);
  });

  it("records who deployed a version and when it went live", () => {
    const live = history.live!;
    expect(live.deployedBy).toBe("bob@acme.test");
    expect(live.deployedAt).toBe(acmeWebHistory().find((r) => r.version === 23)?.createdAt);
  });

  it("keeps a failed deploy, marks its version failed and never counts it as live", () => {
    const releases = [
      ...acmeWebHistory(),
      release({
        version: 28,
        status: "failed",
        imageRef: "registry.fly.io/acme-web:3.1.13",
        imageDigest: digestOf("3.1.13"),
      }),
    ];
    const withFailure = buildVersionHistory({ app, releases });
    expect(withFailure.live?.version).toBe("3.1.12");
    expect(withFailure.previous?.version).toBe("3.1.11");
    const failed = withFailure.versions.find((v) => v.version === "3.1.13");
    expect(failed?.status).toBe("failed");
    expect(failed?.succeeded).toBe(false);
    expect(failed?.releases.map((r) => r.version)).toEqual([28]);
  });

  it("marks a version that is still rolling out as in progress, not live", () => {
    const releases = [
      ...acmeWebHistory(),
      release({ version: 28, status: "running", imageRef: "registry.fly.io/acme-web:3.2.0" }),
    ];
    const rolling = buildVersionHistory({ app, releases });
    expect(rolling.live?.version).toBe("3.1.12");
    expect(rolling.versions[0]).toMatchObject({ version: "3.2.0", status: "in-progress" });
  });

  it("gives a rollback release to its target and marks the version it left as rolled back from", () => {
    const releases = [
      ...acmeWebHistory(),
      release({
        version: 28,
        reason: "rollback",
        imageRef: `registry.fly.io/acme-web@${digestOf("3.1.11")}`,
        imageDigest: digestOf("3.1.11"),
        metadata: { semfly: { version: "3.1.11", previousVersion: "3.1.12", kind: "rollback" } },
      }),
      // A later scale event names the image by digest only: it still belongs to 3.1.11.
      release({
        version: 29,
        reason: "scale",
        imageRef: `registry.fly.io/acme-web@${digestOf("3.1.11")}`,
      }),
    ];
    const rolledBack = buildVersionHistory({ app, releases });
    expect(rolledBack.live?.version).toBe("3.1.11");
    expect(releaseNumbers(rolledBack, "3.1.11")).toEqual([29, 28, 22, 21, 20, 19, 18]);
    expect(rolledBack.previous?.version).toBe("3.1.12");
    expect(rolledBack.versions.map((v) => [v.version, v.status])).toEqual([
      ["3.1.12", "previous"],
      ["3.1.11", "live"],
      ["3.1.10", "superseded"],
      ["3.1.9", "superseded"],
    ]);
  });

  it("marks a version left by a lower version as rolled back from, once it is no longer previous", () => {
    const releases = [
      ...acmeWebHistory(),
      release({
        version: 28,
        imageRef: "registry.fly.io/acme-web:3.1.10",
        imageDigest: digestOf("3.1.10"),
      }),
      release({
        version: 29,
        imageRef: "registry.fly.io/acme-web:3.1.9",
        imageDigest: digestOf("3.1.9"),
      }),
    ];
    const twice = buildVersionHistory({ app, releases });
    expect(twice.versions.find((v) => v.version === "3.1.12")?.status).toBe("rolled-back-from");
    expect(twice.previous?.version).toBe("3.1.10");
  });

  it("groups unversioned images by digest, after the versioned ones", () => {
    const releases = [
      release({
        version: 1,
        imageRef: "registry.fly.io/acme-web:deployment-01HAAA",
        imageDigest: digestOf("a"),
      }),
      release({
        version: 2,
        reason: "scale",
        imageRef: "registry.fly.io/acme-web:deployment-01HAAA",
      }),
      release({
        version: 3,
        imageRef: "registry.fly.io/acme-web:1.0.0",
        imageDigest: digestOf("1.0.0"),
      }),
      release({
        version: 4,
        imageRef: "registry.fly.io/acme-web:deployment-01HBBB",
        imageDigest: digestOf("b"),
      }),
    ];
    const mixed = buildVersionHistory({ app, releases });
    expect(mixed.versions.map((v) => [v.key, v.version])).toEqual([
      ["1.0.0", "1.0.0"],
      [digestOf("b"), null],
      [digestOf("a"), null],
    ]);
    expect(releaseNumbers(mixed, digestOf("a"))).toEqual([2, 1]);
    expect(mixed.live?.key).toBe(digestOf("b"));
  });

  it("recognises an image by its OCI label when a machine reports it", () => {
    const releases = [
      release({
        version: 1,
        imageRef: "registry.fly.io/acme-web:deployment-01HAAA",
        imageDigest: digestOf("a"),
      }),
    ];
    const labelled = buildVersionHistory({
      app,
      releases,
      machines: [
        machine({
          id: "m1",
          image: "registry.fly.io/acme-web:deployment-01HAAA",
          imageRef: {
            registry: "registry.fly.io",
            repository: "acme-web",
            tag: "deployment-01HAAA",
            digest: digestOf("a"),
            labels: { "org.opencontainers.image.version": "5.0.0" },
          },
        }),
      ],
    });
    expect(labelled.live).toMatchObject({ version: "5.0.0", key: "5.0.0", status: "live" });
  });

  it("returns an empty history for an app with no releases", () => {
    const empty = buildVersionHistory({ app, releases: [] });
    expect(empty).toMatchObject({
      versions: [],
      live: null,
      previous: null,
      drift: false,
      machines: [],
    });
  });
});

describe("machines and drift", () => {
  const onVersion = (id: string, version: string, extra: Parameters<typeof machine>[0] = { id }) =>
    machine({
      ...extra,
      id,
      image: `registry.fly.io/acme-web:${version === "3.1.11" ? "v3.1.11" : version}`,
      imageRef: {
        registry: "registry.fly.io",
        repository: "acme-web",
        tag: version,
        digest: digestOf(version),
        labels: {},
      },
    });

  it("tells which version each machine runs and finds no drift when they agree", () => {
    const history = buildVersionHistory({
      app,
      releases: acmeWebHistory(),
      machines: [onVersion("m1", "3.1.12"), onVersion("m2", "3.1.12")],
    });
    expect(history.drift).toBe(false);
    expect(history.machines.map((m) => [m.machine.id, m.version])).toEqual([
      ["m1", "3.1.12"],
      ["m2", "3.1.12"],
    ]);
    expect(history.live?.machines.map((m) => m.id)).toEqual(["m1", "m2"]);
  });

  it("reports drift by process group and region when machines disagree", () => {
    const history = buildVersionHistory({
      app,
      releases: acmeWebHistory(),
      machines: [
        onVersion("m1", "3.1.12"),
        onVersion("m2", "3.1.11", { id: "m2", region: "iad" }),
        onVersion("m3", "3.1.11", { id: "m3", region: "iad" }),
        onVersion("w1", "3.1.11", { id: "w1", processGroup: "worker", region: "iad" }),
      ],
    });
    expect(history.drift).toBe(true);
    expect(history.live?.version).toBe("3.1.12");
    expect(history.driftGroups).toEqual([
      {
        key: "3.1.11",
        version: "3.1.11",
        digest: digestOf("3.1.11"),
        processGroup: "app",
        region: "iad",
        machineIds: ["m2", "m3"],
      },
      {
        key: "3.1.11",
        version: "3.1.11",
        digest: digestOf("3.1.11"),
        processGroup: "worker",
        region: "iad",
        machineIds: ["w1"],
      },
    ]);
  });

  it("believes the machines when they all run a version the releases do not show as live", () => {
    const history = buildVersionHistory({
      app,
      releases: acmeWebHistory(),
      machines: [onVersion("m1", "3.1.10"), onVersion("m2", "3.1.10")],
    });
    expect(history.live?.version).toBe("3.1.10");
    expect(history.previous?.version).toBe("3.1.12");
  });

  it("leaves flyctl's release-command machines out of the picture", () => {
    const history = buildVersionHistory({
      app,
      releases: acmeWebHistory(),
      machines: [
        onVersion("m1", "3.1.12"),
        onVersion("rc", "3.1.9", { id: "rc", processGroup: "fly_app_release_command" }),
      ],
    });
    expect(history.drift).toBe(false);
    expect(history.machines.map((m) => m.machine.id)).toEqual(["m1"]);
  });
});
