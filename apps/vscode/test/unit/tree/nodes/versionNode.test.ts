import { buildVersionHistory } from "@semfly/core";
import { describe, expect, it } from "vitest";
import { AppNode } from "../../../../src/tree/nodes/appNode.js";
import { VersionNode } from "../../../../src/tree/nodes/versionNode.js";
import { demoHistory, demoReleases, digestFor, machine, NOW, release } from "../../builders.js";

function versionNodes(history = demoHistory()): Map<string, VersionNode> {
  const app = new AppNode(
    {
      app: { name: "acme-web", sources: [{ kind: "setting" }] },
      load: { state: "loaded", history, loadedAt: NOW },
    },
    NOW,
  );
  const nodes = app.children().filter((n): n is VersionNode => n instanceof VersionNode);
  return new Map(nodes.map((n) => [n.label, n]));
}

const tokens = (node: VersionNode) => node.item().contextValue.split(";");

describe("version rows", () => {
  it("lists versions by semver precedence, the untagged build last", () => {
    expect([...versionNodes().keys()]).toEqual([
      "3.2.0",
      "3.1.11",
      "3.1.0",
      "3.0.0",
      "sha256:6465706c6f79",
    ]);
  });

  it("describes the live version as live, with a green check", () => {
    const live = versionNodes().get("3.2.0")!.item();
    expect(live.description).toBe("live");
    expect(live.icon).toEqual({ id: "pass-filled", color: "charts.green" });
  });

  it("describes other versions by release, age and who deployed them", () => {
    expect(versionNodes().get("3.1.11")!.item().description).toBe("v3 · 4 d ago · alice@…");
    expect(versionNodes().get("sha256:6465706c6f79")!.item().description).toBe(
      "v4 · 4 d ago · bob@…",
    );
  });

  it.each([
    ["3.1.0", "failed", "error"],
    ["sha256:6465706c6f79", "previous", "history"],
    ["3.0.0", "older", "circle-outline"],
  ])("gives %s the %s icon", (label, look, icon) => {
    const node = versionNodes().get(label)!;
    expect(tokens(node)).toContain(look);
    expect(node.item().icon?.id).toBe(icon);
  });

  it("shows an untagged build by digest with the unversioned icon when it is not previous", () => {
    const history = demoHistory();
    const untagged = history.versions.find((v) => v.version === null)!;
    const node = new VersionNode(
      new AppNode({ app: { name: "acme-web", sources: [] }, load: { state: "idle" } }, NOW),
      history,
      { ...untagged, status: "superseded" },
      NOW,
    );
    expect(node.item().icon?.id).toBe("question");
  });

  it("marks a version that machines still run besides the live one as drifted", () => {
    const nodes = versionNodes(
      demoHistory([
        machine("m1", "v3.2.0"),
        machine("m2", "v3.2.0"),
        machine("m3", "v3.1.11", { region: "syd" }),
      ]),
    );
    const drifted = nodes.get("3.1.11")!;
    expect(tokens(drifted)).toContain("drifted");
    expect(drifted.item().icon).toEqual({ id: "warning", color: "charts.yellow" });
  });
});

describe("what a version row offers (contextValue)", () => {
  it("does not offer roll back on the live version", () => {
    expect(tokens(versionNodes().get("3.2.0")!)).not.toContain("canRollBack");
  });

  it("does not offer roll back to a version that never deployed successfully", () => {
    const failed = versionNodes().get("3.1.0")!;
    expect(tokens(failed)).not.toContain("canRollBack");
    expect(failed.item().tooltip).toContain(
      "Cannot roll back: 3\\.1\\.0 was never deployed successfully",
    );
  });

  it("offers roll back, compare and copy digest on an older good version", () => {
    expect(tokens(versionNodes().get("3.1.11")!)).toEqual(
      expect.arrayContaining(["semflyVersion", "canRollBack", "hasDigest", "canCompare"]),
    );
  });

  it("does not offer compare with live on the live version", () => {
    expect(tokens(versionNodes().get("3.2.0")!)).not.toContain("canCompare");
  });
});

describe("version tooltip and children", () => {
  it("names the digest, the Fly releases, who and when", () => {
    const tooltip = versionNodes().get("3.1.11")!.item().tooltip!;
    expect(tooltip).toContain(`Digest: \`${digestFor("v3.1.11")}\``);
    expect(tooltip).toContain("Fly releases: v3 (complete)");
    expect(tooltip).toContain(
      "Deployed: v3 by alice@example\\.com, 2026-11-22 11:00 UTC (4 d ago)",
    );
  });

  it("after a rollback, shows the newest release's age and user, the first deploy in the tooltip", () => {
    // 3.1.11 was deployed as v3 by alice four days ago; bob rolled back to it (v6) a minute ago.
    const history = buildVersionHistory({
      app: "acme-web",
      releases: [
        ...demoReleases(),
        release(6, "v3.1.11", {
          user: "bob@example.com",
          reason: "rollback",
          createdAt: new Date(NOW - 60_000).toISOString(),
        }),
        release(7, "v3.2.0", { createdAt: new Date(NOW - 30_000).toISOString() }),
      ],
      machines: [machine("m1", "v3.2.0")],
    });
    const item = versionNodes(history).get("3.1.11")!.item();
    expect(item.description).toBe("v6 · 1 min ago · bob@…");
    expect(item.tooltip).toContain("Newest release: v6 by bob@example\\.com");
    expect(item.tooltip).toContain(
      "First deployed: v3 by alice@example\\.com, 2026-11-22 11:00 UTC (4 d ago)",
    );
  });

  it("puts the Fly releases and the machines running it under a version", () => {
    const children = versionNodes()
      .get("3.2.0")!
      .children()
      .map((c) => c.item());
    expect(children.map((c) => [c.label, c.description])).toEqual([
      ["Fly releases", "1"],
      ["Machines", "2"],
    ]);
    expect(
      versionNodes()
        .get("3.0.0")!
        .children()
        .map((c) => c.item().label),
    ).toEqual(["Fly releases"]);
  });

  it("keeps row ids stable and unique across the tree", () => {
    const ids = [...versionNodes().values()].map((n) => n.item().id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe("app/acme-web/version/3.2.0");
  });
});
