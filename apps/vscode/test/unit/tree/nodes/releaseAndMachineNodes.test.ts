import { describe, expect, it } from "vitest";
import { AppNode } from "../../../../src/tree/nodes/appNode.js";
import type { GroupNode } from "../../../../src/tree/nodes/groupNode.js";
import { checksSummary, MachineNode } from "../../../../src/tree/nodes/machineNode.js";
import { ReleaseNode } from "../../../../src/tree/nodes/releaseNode.js";
import type { TreeNode } from "../../../../src/tree/treeItem.js";
import { demoHistory, machine, NOW } from "../../builders.js";

function childrenOf(
  versionLabel: string,
  group: "Fly releases" | "Machines",
  history = demoHistory(),
) {
  const app = new AppNode(
    { app: { name: "acme-web", sources: [] }, load: { state: "loaded", history, loadedAt: NOW } },
    NOW,
  );
  const version = app.children().find((n) => n.item().label === versionLabel)!;
  const groupNode = version.children().find((n) => n.item().label === group) as GroupNode;
  return groupNode.children();
}

const items = (nodes: TreeNode[]) => nodes.map((n) => n.item());

describe("release rows", () => {
  it("show vN, marking the current release, with status, reason, age and who", () => {
    const [row] = items(childrenOf("3.2.0", "Fly releases"));
    expect(row).toMatchObject({
      label: "v5",
      description: "current · complete · deploy · 2 h ago · alice@…",
      icon: { id: "pass", color: "charts.green" },
      contextValue: "semflyRelease",
    });
    expect(childrenOf("3.2.0", "Fly releases")[0]).toBeInstanceOf(ReleaseNode);
  });

  it("show a failed release with the error icon", () => {
    const [row] = items(childrenOf("3.1.0", "Fly releases"));
    expect(row?.description).toMatch(/^failed · deploy/);
    expect(row?.icon?.id).toBe("error");
  });
});

describe("machine rows", () => {
  it("show region, process group, state and checks", () => {
    const rows = items(childrenOf("3.2.0", "Machines"));
    expect(rows.map((r) => [r.label, r.description])).toEqual([
      ["m1-name", "ams · app · started · 1/1 checks passing"],
      ["m2-name", "fra · app · started · 1/1 checks passing"],
    ]);
    expect(rows[0]?.icon).toEqual({ id: "vm-running", color: "charts.green" });
    expect(childrenOf("3.2.0", "Machines")[0]).toBeInstanceOf(MachineNode);
  });

  it("flag a machine whose checks are critical", () => {
    const history = demoHistory([
      machine("m1", "v3.2.0", {
        checks: [
          { name: "http", status: "critical", output: "503", updatedAt: null },
          { name: "tcp", status: "passing", output: "", updatedAt: null },
        ],
      }),
    ]);
    const [row] = items(childrenOf("3.2.0", "Machines", history));
    expect(row?.description).toBe("ams · app · started · 1 of 2 checks critical");
    expect(row?.icon).toEqual({ id: "vm-outline", color: "charts.red" });
    expect(row?.tooltip).toContain("Check http: critical (503)");
  });

  it("summarise checks only when there are some", () => {
    expect(checksSummary([])).toBeNull();
  });
});

describe("machines a rollback treats differently", () => {
  it("mark cold, standby and unreachable machines", () => {
    const history = demoHistory([
      machine("m1", "v3.2.0"),
      machine("m2", "v3.2.0", { state: "stopped", checks: [] }),
      machine("m3", "v3.2.0", {
        state: "stopped",
        checks: [],
        config: { image: "registry.fly.io/acme-web:v3.2.0", standbys: ["m1"] },
      }),
      machine("m4", "v3.2.0", { hostStatus: "unreachable", checks: [] }),
    ]);
    const rows = items(childrenOf("3.2.0", "Machines", history));
    expect(rows.map((r) => r.description)).toEqual([
      "ams · app · started · 1/1 checks passing",
      "ams · app · stopped · cold",
      "ams · app · stopped · standby",
      "ams · app · started · host unreachable",
    ]);
    expect(rows[3]?.icon).toEqual({ id: "warning", color: "charts.yellow" });
    expect(rows[1]?.tooltip).toContain("cold: a rollback updates it without starting it");
  });

  it("list machines outside Fly Launch management under Not managed", () => {
    const history = demoHistory([
      machine("m1", "v3.2.0"),
      machine("dbg", "v3.1.11", { metadata: {}, state: "stopped", checks: [] }),
    ]);
    const app = new AppNode(
      { app: { name: "acme-web", sources: [] }, load: { state: "loaded", history, loadedAt: NOW } },
      NOW,
    );
    const group = app.children().at(-1)!;
    expect(group.item()).toMatchObject({ label: "Not managed", description: "1" });
    expect(group.children().map((n) => n.item().description)).toEqual([
      "ams · app · stopped · not managed (not a Fly Launch machine)",
    ]);
  });
});
