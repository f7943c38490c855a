import { describe, expect, it } from "vitest";
import { buildVersionHistory, lookupVersion } from "../../src/index.js";
import { unknownImageRefs, withFormerImages } from "../../src/versions/former-images.js";
import { digestOf, machine, release } from "../builders.js";

const app = "acme-web";
const flyctlRef = (n: number) => `registry.fly.io/acme-web:deployment-01HZX${n}ABCDEFGHJKMNPQRSTV`;
const label = (version: string) => ({ "org.opencontainers.image.version": version });

describe("versions known only from an OCI label", () => {
  // docker/metadata-action labels every build; flyctl tags it deployment-<ULID>.
  const releases = [
    release({ version: 1, imageRef: flyctlRef(1), imageDigest: digestOf("2.3.0") }),
    release({ version: 2, imageRef: flyctlRef(2), imageDigest: digestOf("2.4.0") }),
    release({
      version: 3,
      imageRef: flyctlRef(2),
      imageDigest: digestOf("2.4.0"),
      reason: "scale",
    }),
    release({ version: 4, imageRef: flyctlRef(3), imageDigest: digestOf("2.5.0") }),
  ];
  const labelsByDigest = {
    [digestOf("2.3.0")]: label("2.3.0"),
    [digestOf("2.4.0")]: label("2.4.0"),
    [digestOf("2.5.0")]: label("2.5.0"),
  };

  it("names every release by its label, not only the one a machine runs", () => {
    const history = buildVersionHistory({ app, releases, labelsByDigest });
    expect(
      history.versions.map((v) => [v.version, v.status, v.releases.map((r) => r.version)]),
    ).toEqual([
      ["2.5.0", "live", [4]],
      ["2.4.0", "previous", [3, 2]],
      ["2.3.0", "superseded", [1]],
    ]);
    expect(history.versions[1]?.labels).toEqual(label("2.4.0"));
    expect(lookupVersion(history, "2.4.0").digest).toBe(digestOf("2.4.0"));
  });

  it("names a version only parked machines run by their labels, as the label lookup expects", () => {
    const parkedMetadata = {
      fly_platform_version: "v2",
      fly_process_group: "app",
      semfly_parked_until: "2026-12-02T12:00:00Z",
      semfly_parked_digest: digestOf("2.4.0"),
    };
    const onImage = (id: string, version: string, metadata?: Record<string, string>) =>
      machine({
        id,
        image: flyctlRef(version === "2.5.0" ? 3 : 2),
        imageRef: {
          registry: "registry.fly.io",
          repository: "acme-web",
          tag: null,
          digest: digestOf(version),
          labels: label(version),
        },
        ...(metadata ? { metadata, config: { image: flyctlRef(2), metadata } } : {}),
      });
    const history = buildVersionHistory({
      app,
      releases,
      machines: [onImage("live1", "2.5.0"), onImage("parked1", "2.4.0", parkedMetadata)],
    });
    const entry = history.versions.find((v) => v.digest === digestOf("2.4.0"));
    expect(entry?.version).toBe("2.4.0");
    expect(history.machines.map((m) => m.machine.id)).toEqual(["live1"]);
  });

  it("leaves such an image unversioned, under its digest, when its labels are not known", () => {
    const history = buildVersionHistory({ app, releases });
    expect(history.versions.map((v) => [v.version, v.key])).toEqual([
      [null, digestOf("2.5.0")],
      [null, digestOf("2.4.0")],
      [null, digestOf("2.3.0")],
    ]);
  });
});

describe("releases without an image", () => {
  const ref = (tag: string) => `registry.fly.io/acme-web:${tag}`;
  const releases = [
    release({ version: 1, imageRef: ref("1.0.0"), imageDigest: digestOf("1.0.0") }),
    release({ version: 2, imageRef: ref("1.1.0"), imageDigest: digestOf("1.1.0") }),
    release({ version: 3, imageRef: null, reason: "secrets", description: "Set secrets" }),
    release({ version: 4, imageRef: null, reason: "scale", status: "failed" }),
  ];

  it("belong to the version live when they were made, and make no version of their own", () => {
    const history = buildVersionHistory({ app, releases });
    expect(
      history.versions.map((v) => [v.key, v.status, v.releases.map((r) => r.version)]),
    ).toEqual([
      ["1.1.0", "live", [4, 3, 2]],
      ["1.0.0", "previous", [1]],
    ]);
    expect(history.versions.some((v) => v.key.startsWith("release v"))).toBe(false);
    expect(history.live?.deployedAt).toBe(releases[1]?.createdAt);
  });

  it("still leave previous as the version live before the current one", () => {
    const history = buildVersionHistory({ app, releases, currentRelease: releases[2] ?? null });
    expect(history.live?.version).toBe("1.1.0");
    expect(lookupVersion(history, "previous").version).toBe("1.0.0");
  });

  it("made before anything was live belong to no version", () => {
    const history = buildVersionHistory({
      app,
      releases: [release({ version: 1, imageRef: null, reason: "secrets" })],
    });
    expect(history.versions).toEqual([]);
    expect(history.live).toBeNull();
  });
});

describe("image changes without a release", () => {
  const ref = (tag: string) => `registry.fly.io/acme-web:${tag}`;
  const releases = [
    release({ version: 1, imageRef: ref("1.0.0"), imageDigest: digestOf("1.0.0") }),
    release({ version: 2, imageRef: ref("1.1.0"), imageDigest: digestOf("1.1.0") }),
  ];
  // `fly image update` keeps the machine's release metadata and changes only its image.
  const updated = (id: string, region = "ams") =>
    machine({
      id,
      region,
      image: flyctlRef(9),
      metadata: { fly_platform_version: "v2", fly_process_group: "app", fly_release_version: "2" },
      imageRef: {
        registry: "registry.fly.io",
        repository: "acme-web",
        tag: "deployment-01HZX9ABCDEFGHJKMNPQRSTV",
        digest: digestOf("1.2.0"),
        labels: label("1.2.0"),
      },
      updatedAt: "2026-02-01T10:00:00.000Z",
    });
  const onRelease = (id: string, region = "ams") =>
    machine({
      id,
      region,
      image: ref("1.1.0"),
      imageRef: {
        registry: "registry.fly.io",
        repository: "acme-web",
        tag: "1.1.0",
        digest: digestOf("1.1.0"),
        labels: {},
      },
    });

  it("is a drift version while only some machines run it, with the machines' ref and labels", () => {
    const history = buildVersionHistory({
      app,
      releases,
      machines: [onRelease("m1"), updated("m2", "iad")],
    });
    const entry = history.versions.find((v) => v.version === "1.2.0");
    expect(entry).toMatchObject({
      key: "1.2.0",
      status: "drift",
      digest: digestOf("1.2.0"),
      imageRef: flyctlRef(9),
      labels: label("1.2.0"),
      releases: [],
      succeeded: true,
      drift: true,
      deployedAt: "2026-02-01T10:00:00.000Z",
    });
    expect(entry?.machines.map((m) => m.id)).toEqual(["m2"]);
    expect(history.live?.version).toBe("1.1.0");
    expect(history.driftGroups).toEqual([
      {
        key: "1.2.0",
        version: "1.2.0",
        digest: digestOf("1.2.0"),
        processGroup: "app",
        region: "iad",
        machineIds: ["m2"],
      },
    ]);
  });

  it("is live when every machine runs it, and what the releases show becomes previous", () => {
    const history = buildVersionHistory({
      app,
      releases,
      machines: [updated("m1"), updated("m2")],
    });
    expect(history.live).toMatchObject({ version: "1.2.0", status: "live", releases: [] });
    expect(history.previous).toMatchObject({ version: "1.1.0", status: "previous" });
    expect(history.versions.map((v) => v.version)).toEqual(["1.2.0", "1.1.0", "1.0.0"]);
  });

  it("is named by its digest when no label versions it, listed first among unversioned images", () => {
    const bare = machine({
      id: "m2",
      image: flyctlRef(8),
      imageRef: {
        registry: "registry.fly.io",
        repository: "acme-web",
        tag: "deployment-01HZX8ABCDEFGHJKMNPQRSTV",
        digest: digestOf("unlabelled"),
        labels: {},
      },
    });
    const history = buildVersionHistory({ app, releases, machines: [onRelease("m1"), bare] });
    const entry = history.versions.find((v) => v.key === digestOf("unlabelled"));
    expect(entry).toMatchObject({ version: null, status: "drift", imageRef: flyctlRef(8) });
  });
});

describe("images machines ran before that no release names", () => {
  const ref = (tag: string) => `registry.fly.io/acme-web:${tag}`;
  const releases = [
    release({ version: 1, imageRef: ref("1.0.0"), imageDigest: digestOf("1.0.0") }),
    release({ version: 2, imageRef: ref("1.1.0"), imageDigest: digestOf("1.1.0") }),
  ];
  const onRelease = machine({
    id: "m1",
    image: ref("1.1.0"),
    imageRef: {
      registry: "registry.fly.io",
      repository: "acme-web",
      tag: "1.1.0",
      digest: digestOf("1.1.0"),
      labels: {},
    },
  });

  it("become versions that ran and left, named by their labels, so they can be rolled back to", () => {
    const history = withFormerImages(
      buildVersionHistory({ app, releases, machines: [onRelease] }),
      [{ ref: flyctlRef(9), digest: digestOf("1.2.0"), labels: label("1.2.0") }],
    );
    expect(history.versions.map((v) => [v.version, v.status])).toEqual([
      ["1.2.0", "superseded"],
      ["1.1.0", "live"],
      ["1.0.0", "previous"],
    ]);
    expect(lookupVersion(history, "1.2.0")).toMatchObject({
      imageRef: flyctlRef(9),
      digest: digestOf("1.2.0"),
      succeeded: true,
      releases: [],
    });
  });

  it("are only the refs the history does not know already", () => {
    const history = buildVersionHistory({ app, releases, machines: [onRelease] });
    expect(
      unknownImageRefs(history, [
        ref("1.1.0"),
        `registry.fly.io/acme-web@${digestOf("1.0.0")}`,
        flyctlRef(9),
      ]),
    ).toEqual([flyctlRef(9)]);
  });
});
