import { type VersionHistory, versionLabel } from "@semfly/core";
import { NodeContext } from "../../constants.js";
import { parkedVersions } from "../../model/parkedVersions.js";
import { type AppState, latestHistory } from "../../model/versionsModel.js";
import { code, escapeMarkdown, joinParts } from "../format.js";
import { contextValue, type IconData, type TreeItemData, type TreeNode } from "../treeItem.js";
import { MessageNode } from "./messageNode.js";
import { DriftNode } from "./placementNode.js";
import { UnmanagedNode } from "./unmanagedNode.js";
import { VersionNode } from "./versionNode.js";

/** A Fly app: its live version at a glance, its versions below. */
export class AppNode implements TreeNode {
  readonly parent = undefined;

  constructor(
    readonly state: AppState,
    private readonly now: number,
  ) {}

  get app(): string {
    return this.state.app.name;
  }

  /** What the row shows: after a failed load, the error rather than the stale versions. */
  get history(): VersionHistory | undefined {
    return this.state.load.state === "error" ? undefined : latestHistory(this.state.load);
  }

  item(): TreeItemData {
    const load = this.state.load;
    const history = this.history;
    const live = history?.live;
    const liveName = live ? versionLabel(live) : null;
    let description: string;
    let icon: IconData = { id: "cloud" };
    if (load.state === "error") {
      description = "could not load";
      icon = { id: "error", color: "charts.red" };
    } else if (!history) {
      description = load.state === "loading" ? "loading…" : "";
    } else {
      description = joinParts(
        liveName ? `live ${liveName}` : "no live version",
        history.drift && "drift",
      );
      if (history.drift) icon = { id: "warning", color: "charts.yellow" };
    }
    return {
      id: `app/${this.app}`,
      label: this.app,
      description,
      tooltip: this.tooltip(liveName),
      icon,
      contextValue: contextValue(NodeContext.app, history?.drift && NodeContext.drift),
      collapsible: "expanded",
      accessibilityLabel: joinParts(`Fly app ${this.app}`, description),
    };
  }

  children(): TreeNode[] {
    const load = this.state.load;
    if (load.state === "error") {
      return [
        new MessageNode(
          this,
          "error",
          load.error.message,
          { id: "error", color: "charts.red" },
          load.error.suggestion ? escapeMarkdown(load.error.suggestion) : undefined,
        ),
      ];
    }
    const history = this.history;
    if (!history) {
      return load.state === "loading"
        ? [new MessageNode(this, "loading", "Loading versions…", { id: "loading~spin" })]
        : [];
    }
    // Parked machines show under the version they run; the rest of the unmanaged ones stay together.
    const parked = parkedVersions(history, this.now);
    const unmanaged =
      parked.unmanaged.length > 0 ? [new UnmanagedNode(this, parked.unmanaged)] : [];
    if (history.versions.length === 0) {
      return [new MessageNode(this, "empty", "No releases yet", { id: "info" }), ...unmanaged];
    }
    const versions = history.versions.map(
      (entry) =>
        new VersionNode(this, history, entry, this.now, parked.byVersion.get(entry.key) ?? []),
    );
    return [...(history.drift ? [new DriftNode(this, history)] : []), ...versions, ...unmanaged];
  }

  private tooltip(liveName: string | null): string {
    const history = this.history;
    const sources = this.state.app.sources.map((source) =>
      source.kind === "fly.toml" ? `fly.toml (${code(source.file)})` : "the semfly.apps setting",
    );
    const lines = [
      `**${escapeMarkdown(this.app)}**`,
      "",
      `From ${sources.join(" and ")}`,
      history ? `Live: ${escapeMarkdown(liveName ?? "none")}` : null,
      history?.currentRelease ? `Current release: v${history.currentRelease.version}` : null,
      history ? `Machines: ${history.machines.length}` : null,
      ...(history?.driftGroups ?? []).map(driftLine),
      ...(history?.warnings ?? []).map((warning) => `Warning: ${escapeMarkdown(warning)}`),
    ];
    return lines.filter((line) => line !== null).join("  \n");
  }
}

/** "Drift: 1 app machine in ams runs 1.5.0", "Drift: 2 app machines in iad run 1.4.0". */
function driftLine(group: VersionHistory["driftGroups"][number]): string {
  const count = group.machineIds.length;
  const runs = escapeMarkdown(versionLabel(group, "an unknown image"));
  return `Drift: ${count} ${group.processGroup} machine${count === 1 ? "" : "s"} in ${escapeMarkdown(group.region)} ${count === 1 ? "runs" : "run"} ${runs}`;
}
