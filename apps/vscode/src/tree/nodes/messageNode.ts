import { NodeContext } from "../../constants.js";
import { contextValue, type IconData, type TreeItemData, type TreeNode } from "../treeItem.js";

/** A leaf that says something instead of showing data: loading, an error, nothing there. */
export class MessageNode implements TreeNode {
  constructor(
    readonly parent: TreeNode | undefined,
    private readonly idSuffix: string,
    readonly text: string,
    private readonly icon: IconData,
    private readonly tooltip?: string,
  ) {}

  item(): TreeItemData {
    return {
      id: `${this.parent?.item().id ?? "root"}/message/${this.idSuffix}`,
      label: this.text,
      ...(this.tooltip ? { tooltip: this.tooltip } : {}),
      icon: this.icon,
      contextValue: contextValue(NodeContext.message),
      collapsible: "none",
    };
  }

  children(): TreeNode[] {
    return [];
  }
}
