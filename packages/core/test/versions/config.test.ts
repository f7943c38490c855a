import { describe, expect, it } from "vitest";
import {
  buildVersionHistory,
  chooseConfigRelease,
  deployReleaseOf,
  keyPathChanges,
  lookupVersion,
  type MachineConfig,
  newestConfigThatRan,
  normalizeDefinition,
} from "../../src/index.js";
import { machine, release } from "../builders.js";

const ref = (v: string) => `registry.fly.io/acme-web:${v}`;

function history() {
  return buildVersionHistory({
    app: "acme-web",
    releases: [
      release({ version: 1, imageRef: ref("1.0.0"), status: "failed" }),
      release({ version: 2, imageRef: ref("1.0.0") }),
      release({ version: 3, imageRef: ref("1.0.0"), reason: "scale" }),
      release({ version: 4, imageRef: ref("1.1.0"), status: "failed" }),
    ],
  });
}

describe("the release a version's fly.toml is read from", () => {
  it("is its oldest completed release: the deploy, not a later scale change or a failed try", () => {
    const h = history();
    expect(deployReleaseOf(lookupVersion(h, "1.0.0"))?.version).toBe(2);
  });

  it("is its newest attempt when none completed", () => {
    expect(deployReleaseOf(lookupVersion(history(), "1.1.0"))?.version).toBe(4);
  });

  it("is none for a version only machines know (fly image update): refused, pointing at the machines", () => {
    const h = buildVersionHistory({
      app: "acme-web",
      releases: [release({ version: 1, imageRef: ref("1.0.0") })],
      machines: [
        machine({ id: "m1", image: ref("1.3.0") }),
        machine({ id: "m2", image: ref("1.0.0") }),
      ],
    });
    expect(() => chooseConfigRelease(h, lookupVersion(h, "1.3.0"))).toThrow(
      "1.3.0 runs on acme-web without a Fly release (an image change such as `fly image update`): no fly.toml was recorded for it.",
    );
  });

  it("is the release itself with --release, and a bad number is refused", () => {
    const h = history();
    expect(chooseConfigRelease(h, { release: 3 }).entry.version).toBe("1.0.0");
    expect(() => chooseConfigRelease(h, { release: 9 })).toThrow('acme-web has no release "v9".');
  });
});

describe("a recorded definition", () => {
  it("drops nulls, which TOML cannot hold, and counts {} as none", () => {
    expect(normalizeDefinition({ app: "a", build: null, vm: [{ memory: null, cpus: 1 }] })).toEqual(
      {
        app: "a",
        vm: [{ cpus: 1 }],
      },
    );
    expect(normalizeDefinition({})).toBeNull();
    expect(normalizeDefinition(null)).toBeNull();
    expect(normalizeDefinition("app = 'a'")).toBeNull();
  });
});

describe("key-path differences", () => {
  it("names each changed leaf once, a key on one side only as one change, sorted", () => {
    expect(
      keyPathChanges(
        { env: { A: "1", B: "2" }, vm: [{ cpus: 1 }] },
        { env: { A: "1" }, vm: [{ cpus: 2 }, { cpus: 1 }], statics: [{ url_prefix: "/" }] },
      ),
    ).toEqual([
      { path: "env.B", a: "2", b: null, change: "removed" },
      { path: "statics", a: null, b: [{ url_prefix: "/" }], change: "added" },
      { path: "vm[0].cpus", a: 1, b: 2, change: "changed" },
      { path: "vm[1]", a: null, b: { cpus: 1 }, change: "added" },
    ]);
    expect(keyPathChanges({ a: [1, 2] }, { a: [1, 2] })).toEqual([]);
  });
});

describe("the config a machine ran a version with", () => {
  it("is the newest of its versions that ran it, by version id, whatever order Fly lists them in", () => {
    const entry = lookupVersion(history(), "1.0.0");
    const ran = (memory: number): MachineConfig => ({
      image: ref("1.0.0"),
      guest: { cpu_kind: "shared", cpus: 1, memory_mb: memory },
    });
    const versions = [
      { version: "01HV0000000000000000000001", config: ran(256) },
      { version: "01HV0000000000000000000003", config: { image: ref("1.1.0") } },
      { version: "01HV0000000000000000000002", config: ran(512) },
    ];
    expect(newestConfigThatRan(versions, entry)?.guest).toMatchObject({ memory_mb: 512 });
    expect(newestConfigThatRan(versions.slice(1, 2), entry)).toBeNull();
  });
});
