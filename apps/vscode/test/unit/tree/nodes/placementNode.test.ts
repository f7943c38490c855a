import type { VersionHistory } from "@semfly/core";
import { buildVersionHistory } from "@semfly/core";
import { describe, expect, it } from "vitest";
import { AppNode } from "../../../../src/tree/nodes/appNode.js";
import { DriftNode, PlacementNode } from "../../../../src/tree/nodes/placementNode.js";
import { VersionNode } from "../../../../src/tree/nodes/versionNode.js";
import { demoHistory, digestFor, machine, NOW, release } from "../../builders.js";

const appNode = (history: VersionHistory) =>
  new AppNode(
    {
      app: { name: "acme-web", sources: [{ kind: "setting" }] },
      load: { state: "loaded", history, loadedAt: NOW },
    },
    NOW,
  );

describe("drift per process group and region", () => {
  const drifting = () =>
    demoHistory([
      machine("m1", "v3.2.0"),
      machine("m2", "v3.2.0", { region: "syd" }),
      machine("m3", "v3.1.11", { region: "syd" }),
      machine("w1", "v3.1.11", { processGroup: "worker", region: "syd" }),
    ]);

  it("puts a Drift row first under a drifting app, with one row per group and region", () => {
    const [first] = appNode(drifting()).children();
    expect(first).toBeInstanceOf(DriftNode);
    expect(first!.item()).toMatchObject({
      label: "Drift",
      description: "2 of 4 machines not on the live version",
      collapsible: "expanded",
    });
    const rows = first!.children().map((c) => c.item());
    expect(rows.map((r) => [r.label, r.description, r.icon?.id])).toEqual([
      ["app · ams", "1 × 3.2.0 (live)", "pass"],
      ["app · syd", "1 × 3.2.0 (live), 1 × 3.1.11", "warning"],
      ["worker · syd", "1 × 3.1.11", "warning"],
    ]);
    expect(rows[2]?.contextValue).toBe("semflyPlacement;drift");
    expect(rows[1]?.tooltip).toContain("3\\.1\\.11: `m3`");
  });

  it("shows no Drift row when every machine runs the live version", () => {
    const children = appNode(demoHistory()).children();
    expect(children.some((c) => c instanceof DriftNode || c instanceof PlacementNode)).toBe(false);
  });

  it("counts the machines of each side on the version rows", () => {
    const rows = new Map(
      appNode(drifting())
        .children()
        .filter((n): n is VersionNode => n instanceof VersionNode)
        .map((n) => [n.label, n.item().description]),
    );
    expect(rows.get("3.2.0")).toBe("live · 2 machines");
    expect(rows.get("3.1.11")).toBe("v3 · 2 machines · 4 d ago · alice@…");
  });
});

describe("versions from labels, releases without an image, images without a release", () => {
  const label = (version: string) => ({ "org.opencontainers.image.version": version });

  it("lists a version only its OCI label names, and none for a release without an image", () => {
    const history = buildVersionHistory({
      app: "acme-web",
      releases: [
        release(1, "deployment-01HZXA"),
        release(2, "deployment-01HZXB"),
        release(3, "deployment-01HZXB", { imageRef: null, imageDigest: null, reason: "secrets" }),
      ],
      labelsByDigest: {
        [digestFor("deployment-01HZXA")]: label("4.0.0"),
        [digestFor("deployment-01HZXB")]: label("4.1.0"),
      },
    });
    const nodes = appNode(history)
      .children()
      .filter((n): n is VersionNode => n instanceof VersionNode);
    expect(nodes.map((n) => [n.label, n.entry.releases.map((r) => r.version)])).toEqual([
      ["4.1.0", [3, 2]],
      ["4.0.0", [1]],
    ]);
    expect(nodes[1]?.item().tooltip).toContain(
      "Label `org.opencontainers.image.version`: 4\\.0\\.0",
    );
  });

  it("shows a version machines run without a release as drifted, saying no release names it", () => {
    const hotfix = machine("m2", "deployment-01HZXH", {
      imageRef: {
        registry: "registry.fly.io",
        repository: "acme-web",
        tag: "deployment-01HZXH",
        digest: digestFor("deployment-01HZXH"),
        labels: label("3.2.1"),
      },
    });
    const nodes = appNode(demoHistory([machine("m1", "v3.2.0"), hotfix]))
      .children()
      .filter((n): n is VersionNode => n instanceof VersionNode);
    const node = nodes.find((n) => n.label === "3.2.1")!;
    expect(node.item().description).toBe("no release · 1 machine");
    expect(node.item().contextValue.split(";")).toContain("drifted");
    expect(node.item().contextValue.split(";")).toContain("canRollBack");
    expect(node.item().tooltip).toContain("Fly releases: none (machines run it without a release");
  });
});
