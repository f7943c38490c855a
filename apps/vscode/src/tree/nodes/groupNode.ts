import type { VersionEntry, VersionHistory } from "@semfly/core";
import { NodeContext } from "../../constants.js";
import { contextValue, type TreeItemData, type TreeNode } from "../treeItem.js";
import { MachineNode } from "./machineNode.js";
import { ReleaseNode } from "./releaseNode.js";

export type GroupKind = "releases" | "machines";

/** "Fly releases" or "Machines" under a version. */
export class GroupNode implements TreeNode {
  constructor(
    readonly parent: TreeNode,
    readonly kind: GroupKind,
    private readonly history: VersionHistory,
    private readonly entry: VersionEntry,
    private readonly now: number,
  ) {}

  item(): TreeItemData {
    const releases = this.kind === "releases";
    const count = releases ? this.entry.releases.length : this.entry.machines.length;
    return {
      id: `${this.parent.item().id}/${this.kind}`,
      label: releases ? "Fly releases" : "Machines",
      description: String(count),
      icon: { id: releases ? "tag" : "server" },
      contextValue: contextValue(NodeContext.group, this.kind),
      collapsible: releases ? "collapsed" : "expanded",
    };
  }

  children(): TreeNode[] {
    if (this.kind === "releases") {
      return this.entry.releases.map((r) => new ReleaseNode(this, this.history, r, this.now));
    }
    return this.entry.machines.map((m) => new MachineNode(this, m));
  }
}
