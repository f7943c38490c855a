import * as vscode from "vscode";
import type { VersionsModel } from "../model/versionsModel.js";
import { DisposableObject } from "../platform/lifecycle.js";
import { AppNode } from "./nodes/appNode.js";
import type { Collapsible, TreeItemData, TreeNode } from "./treeItem.js";

const COLLAPSIBLE: Record<Collapsible, vscode.TreeItemCollapsibleState> = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
};

export function toTreeItem(data: TreeItemData): vscode.TreeItem {
  const item = new vscode.TreeItem(data.label, COLLAPSIBLE[data.collapsible]);
  item.id = data.id;
  item.contextValue = data.contextValue;
  if (data.description !== undefined) item.description = data.description;
  if (data.tooltip !== undefined) item.tooltip = new vscode.MarkdownString(data.tooltip);
  if (data.icon) {
    item.iconPath = new vscode.ThemeIcon(
      data.icon.id,
      data.icon.color ? new vscode.ThemeColor(data.icon.color) : undefined,
    );
  }
  if (data.accessibilityLabel) item.accessibilityInformation = { label: data.accessibilityLabel };
  return item;
}

/**
 * Maps the model to tree items and nothing else. The root is empty until there is something to show,
 * which lets the manifest's viewsWelcome explain what is missing (trust, token, apps).
 */
export class VersionsTreeProvider
  extends DisposableObject
  implements vscode.TreeDataProvider<TreeNode>
{
  private readonly changed = this.register(new vscode.EventEmitter<TreeNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly model: VersionsModel,
    private readonly canShow: () => boolean,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.register(model.onDidChange(() => this.changed.fire(undefined)));
  }

  /** Redraw (the signed-in or trust state changed, or relative times moved on). */
  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return toTreeItem(node.item());
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (node) return node.children();
    if (!this.canShow()) return [];
    const now = this.now();
    return this.model.apps.map((state) => new AppNode(state, now));
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }
}
