/**
 * What a node shows, as plain data. Nodes build these without the `vscode` module, so they are unit
 * tested as they are; the provider turns them into `vscode.TreeItem`s.
 */
export type Collapsible = "none" | "collapsed" | "expanded";

export interface IconData {
  /** A codicon id, e.g. "pass-filled" or "sync~spin". */
  id: string;
  /** A theme color id, e.g. "charts.green". */
  color?: string;
}

export interface TreeItemData {
  /** Unique in the tree and stable across refreshes, so expansion and selection survive a reload. */
  id: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip?: string;
  icon?: IconData;
  contextValue: string;
  collapsible: Collapsible;
  /** What a screen reader says for the row. */
  accessibilityLabel?: string;
}

export interface TreeNode {
  readonly parent: TreeNode | undefined;
  item(): TreeItemData;
  children(): TreeNode[];
}

/** `kind;token;token`: menus match a token with `viewItem =~ /(^|;)token(;|$)/`. */
export function contextValue(
  kind: string,
  ...tokens: (string | false | null | undefined)[]
): string {
  return [kind, ...tokens.filter((token): token is string => typeof token === "string")].join(";");
}
