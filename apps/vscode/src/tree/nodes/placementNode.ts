import type { Placement, PlacementRun, VersionHistory } from "@semfly/core";
import { versionLabel } from "@semfly/core";
import { NodeContext } from "../../constants.js";
import { code, escapeMarkdown, joinParts } from "../format.js";
import { contextValue, type TreeItemData, type TreeNode } from "../treeItem.js";

/** How a set of machines' version is named: its semver, else its short digest, else its image key. */
function runName(run: PlacementRun): string {
  return versionLabel(run, "an unknown image");
}

/** "Drift" under an app whose machines disagree: every process group and region, and what each runs. */
export class DriftNode implements TreeNode {
  constructor(
    readonly parent: TreeNode,
    private readonly history: VersionHistory,
  ) {}

  item(): TreeItemData {
    const off = this.history.driftGroups.reduce((sum, g) => sum + g.machineIds.length, 0);
    const total = this.history.machines.length;
    return {
      id: `${this.parent.item().id}/drift`,
      label: "Drift",
      description: `${off} of ${total} machine${total === 1 ? "" : "s"} not on the live version`,
      tooltip:
        "Machines that run something other than the live version, by process group and region.",
      icon: { id: "warning", color: "charts.yellow" },
      contextValue: contextValue(NodeContext.group, "drift"),
      collapsible: "expanded",
      accessibilityLabel: `Drift: ${off} of ${total} machines not on the live version`,
    };
  }

  children(): TreeNode[] {
    return this.history.placements.map((placement) => new PlacementNode(this, placement));
  }
}

/** One process group in one region: `app · iad`, with `2 × 1.1.1, 1 × 1.1.0 (live)`. */
export class PlacementNode implements TreeNode {
  constructor(
    readonly parent: TreeNode,
    readonly placement: Placement,
  ) {}

  item(): TreeItemData {
    const p = this.placement;
    const mixed = p.runs.some((run) => !run.live);
    const description = p.runs
      .map((run) => `${run.machineIds.length} × ${runName(run)}${run.live ? " (live)" : ""}`)
      .join(", ");
    const tooltip = [
      `**${escapeMarkdown(p.processGroup)}** in ${escapeMarkdown(p.region)}`,
      "",
      ...p.runs.map(
        (run) =>
          `${escapeMarkdown(runName(run))}${run.live ? " (live)" : ""}: ${run.machineIds.map(code).join(", ")}`,
      ),
    ].join("  \n");
    return {
      id: `${this.parent.item().id}/${p.processGroup}/${p.region}`,
      label: `${p.processGroup} · ${p.region}`,
      description,
      tooltip,
      icon: mixed
        ? { id: "warning", color: "charts.yellow" }
        : { id: "pass", color: "charts.green" },
      contextValue: contextValue(NodeContext.placement, mixed && NodeContext.drift),
      collapsible: "none",
      accessibilityLabel: joinParts(`${p.processGroup} in ${p.region}`, description),
    };
  }

  children(): TreeNode[] {
    return [];
  }
}
