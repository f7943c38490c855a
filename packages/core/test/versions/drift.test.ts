import { describe, expect, it } from "vitest";
import { buildVersionHistory } from "../../src/index.js";
import { acmeWebHistory, digestOf, machine } from "../builders.js";

const on = (id: string, version: string, region: string, processGroup = "app") =>
  machine({
    id,
    region,
    processGroup,
    image: `registry.fly.io/acme-web:${version === "3.1.11" ? "v3.1.11" : version}`,
    imageRef: {
      registry: "registry.fly.io",
      repository: "acme-web",
      tag: version,
      digest: digestOf(version),
      labels: {},
    },
  });

describe("placements and drift per version", () => {
  it("lists every process group and region with what each set of its machines runs, live first", () => {
    const history = buildVersionHistory({
      app: "acme-web",
      releases: acmeWebHistory(),
      machines: [
        on("m1", "3.1.12", "ams"),
        on("m2", "3.1.11", "iad"),
        on("m3", "3.1.12", "iad"),
        on("m4", "3.1.11", "iad"),
        on("w1", "3.1.12", "ams", "worker"),
      ],
    });
    expect(history.placements).toEqual([
      {
        processGroup: "app",
        region: "ams",
        runs: [
          {
            key: "3.1.12",
            version: "3.1.12",
            digest: digestOf("3.1.12"),
            live: true,
            machineIds: ["m1"],
          },
        ],
      },
      {
        processGroup: "app",
        region: "iad",
        runs: [
          {
            key: "3.1.12",
            version: "3.1.12",
            digest: digestOf("3.1.12"),
            live: true,
            machineIds: ["m3"],
          },
          {
            key: "3.1.11",
            version: "3.1.11",
            digest: digestOf("3.1.11"),
            live: false,
            machineIds: ["m2", "m4"],
          },
        ],
      },
      {
        processGroup: "worker",
        region: "ams",
        runs: [
          {
            key: "3.1.12",
            version: "3.1.12",
            digest: digestOf("3.1.12"),
            live: true,
            machineIds: ["w1"],
          },
        ],
      },
    ]);
    const byVersion = Object.fromEntries(
      history.versions.map((v) => [v.version, [v.machines.length, v.drift]]),
    );
    expect(byVersion).toMatchObject({
      "3.1.12": [3, true],
      "3.1.11": [2, true],
      "3.1.10": [0, false],
    });
  });

  it("marks no version as drifting when every machine runs the live one", () => {
    const history = buildVersionHistory({
      app: "acme-web",
      releases: acmeWebHistory(),
      machines: [on("m1", "3.1.12", "ams"), on("m2", "3.1.12", "iad")],
    });
    expect(history.versions.filter((v) => v.drift)).toEqual([]);
    expect(history.placements.map((p) => p.runs.length)).toEqual([1, 1]);
  });
});
