import * as vscode from "vscode";
import { affects, readRefreshIntervalSeconds } from "../config/settings.js";
import { Settings, VERSIONS_VIEW_ID } from "../constants.js";
import { DisposableObject, toDisposable } from "../platform/lifecycle.js";
import type { TreeNode } from "./treeItem.js";
import type { VersionsTreeProvider } from "./versionsTreeProvider.js";

/**
 * The "Versions" tree view, and its refresh timer: it ticks every semfly.refreshIntervalSeconds
 * while the view is visible and pauses while it is hidden (a hidden view need not cost API calls).
 */
export class VersionsView extends DisposableObject {
  readonly treeView: vscode.TreeView<TreeNode>;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTick = 0;

  constructor(
    provider: VersionsTreeProvider,
    private readonly onTick: () => Promise<void>,
  ) {
    super();
    this.treeView = this.register(
      vscode.window.createTreeView(VERSIONS_VIEW_ID, {
        treeDataProvider: provider,
        showCollapseAll: true,
      }),
    );
    this.register(toDisposable(() => this.stop()));
    this.register(this.treeView.onDidChangeVisibility(() => this.schedule()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (affects(event, Settings.refreshIntervalSeconds)) this.schedule();
      }),
    );
    this.schedule();
  }

  /** Record that the data was just loaded, so the timer counts from now. */
  markFresh(): void {
    this.lastTick = Date.now();
  }

  private schedule(): void {
    this.stop();
    const seconds = readRefreshIntervalSeconds();
    if (!this.treeView.visible || seconds === 0) return;
    const intervalMs = seconds * 1000;
    // Coming back after a long hide: the data is stale, reload now rather than at the next tick.
    if (this.lastTick > 0 && Date.now() - this.lastTick >= intervalMs) this.tick();
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  private tick(): void {
    this.lastTick = Date.now();
    void this.onTick();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
