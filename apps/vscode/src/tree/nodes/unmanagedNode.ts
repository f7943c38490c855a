import type { UnmanagedMachine } from "@semfly/core";
import { NodeContext } from "../../constants.js";
import { contextValue, type TreeItemData, type TreeNode } from "../treeItem.js";
import { MachineNode } from "./machineNode.js";

/** "Not managed": machines outside Fly Launch management, which a rollback never touches. */
export class UnmanagedNode implements TreeNode {
  constructor(
    readonly parent: TreeNode,
    private readonly machines: readonly UnmanagedMachine[],
  ) {}

  item(): TreeItemData {
    return {
      id: `${this.parent.item().id}/unmanaged`,
      label: "Not managed",
      description: String(this.machines.length),
      tooltip:
        "Machines outside Fly Launch management (as `fly deploy` sees them): a rollback leaves them alone.",
      icon: { id: "circle-slash" },
      contextValue: contextValue(NodeContext.group, "unmanaged"),
      collapsible: "collapsed",
    };
  }

  children(): TreeNode[] {
    return this.machines.map(({ machine, reason }) => new MachineNode(this, machine, reason));
  }
}
