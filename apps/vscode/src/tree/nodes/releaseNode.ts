import {
  type FlyRelease,
  releaseInProgress,
  releaseSucceeded,
  shortDigest,
  type VersionHistory,
} from "@semfly/core";
import { NodeContext } from "../../constants.js";
import {
  code,
  escapeMarkdown,
  formatAge,
  formatTimestamp,
  joinParts,
  shortUser,
} from "../format.js";
import { contextValue, type IconData, type TreeItemData, type TreeNode } from "../treeItem.js";

/** One Fly release (vN) of a version. */
export class ReleaseNode implements TreeNode {
  constructor(
    readonly parent: TreeNode,
    private readonly history: VersionHistory,
    readonly release: FlyRelease,
    private readonly now: number,
  ) {}

  item(): TreeItemData {
    const release = this.release;
    const current = this.history.currentRelease?.id === release.id;
    return {
      id: `${this.parent.item().id}/release/${release.version}`,
      label: `v${release.version}`,
      description: joinParts(
        current && "current",
        release.status,
        release.reason,
        formatAge(release.createdAt, this.now),
        shortUser(release.user),
      ),
      tooltip: this.tooltip(current),
      icon: releaseIcon(release),
      contextValue: contextValue(NodeContext.release),
      collapsible: "none",
      accessibilityLabel: joinParts(`Fly release v${release.version}`, release.status),
    };
  }

  children(): TreeNode[] {
    return [];
  }

  private tooltip(current: boolean): string {
    const r = this.release;
    const lines = [
      `**v${r.version}** · ${escapeMarkdown(r.status)}${current ? " · current release" : ""}`,
      "",
      r.description ? escapeMarkdown(r.description) : null,
      `Reason: ${escapeMarkdown(r.reason || "unknown")}`,
      `By ${escapeMarkdown(r.user ?? "unknown")}, ${formatTimestamp(r.createdAt) ?? "at an unknown time"}`,
      r.imageRef ? `Image: ${code(r.imageRef)}` : null,
      r.imageDigest ? `Digest: ${code(shortDigest(r.imageDigest))}` : null,
    ];
    return lines.filter((line) => line !== null).join("  \n");
  }
}

function releaseIcon(release: FlyRelease): IconData {
  if (releaseSucceeded(release)) return { id: "pass", color: "charts.green" };
  if (releaseInProgress(release)) return { id: "sync~spin" };
  return { id: "error", color: "charts.red" };
}
