import { freezeLine, historyFreeze, versionLabel } from "@semfly/core";
import { type AppState, latestHistory } from "../model/versionsModel.js";
import { escapeMarkdown, machineCount } from "../tree/format.js";

export interface StatusBarContent {
  text: string;
  /** Markdown. */
  tooltip: string;
  warning: boolean;
}

/** What the status bar says about the workspace's app; null hides it. */
export function statusBarContent(
  state: AppState | undefined,
  now: number = Date.now(),
): StatusBarContent | null {
  if (!state) return null;
  const app = state.app.name;
  const load = state.load;
  const history = latestHistory(load);
  if (!history) {
    if (load.state === "loading") {
      return {
        text: `$(sync~spin) ${app}`,
        tooltip: `Loading the versions of ${escapeMarkdown(app)}…`,
        warning: false,
      };
    }
    if (load.state === "error") {
      return {
        text: `$(error) ${app}`,
        tooltip: `Could not load ${escapeMarkdown(app)}: ${escapeMarkdown(load.error.message)}`,
        warning: true,
      };
    }
    return null;
  }
  const live = history.live;
  const liveName = versionLabel(live, "no live version");
  const freeze = historyFreeze(history, now);
  if (freeze && !freeze.expired) {
    return {
      text: `$(lock) ${app} ${liveName} frozen`,
      tooltip: `**${escapeMarkdown(app)}** is frozen ${escapeMarkdown(freezeLine(freeze.freeze))}. Deploys through semfly are refused until \`semfly unfreeze\`.`,
      warning: true,
    };
  }
  const expiredNote = freeze
    ? ` A freeze ${escapeMarkdown(freezeLine(freeze.freeze))} has expired.`
    : "";
  if (history.drift) {
    const drifting = history.driftGroups.reduce((sum, group) => sum + group.machineIds.length, 0);
    return {
      text: `$(warning) ${app} ${liveName}`,
      tooltip: `**${escapeMarkdown(app)}**: ${escapeMarkdown(liveName)} is live, but ${drifting} of ${history.machines.length} machines run another version. Click to see them.${expiredNote}`,
      warning: true,
    };
  }
  return {
    text: `$(cloud) ${app} ${liveName}`,
    tooltip: `**${escapeMarkdown(app)}**: ${escapeMarkdown(liveName)} is live on ${machineCount(history.machines.length)}. Click to see its versions.${expiredNote}`,
    warning: false,
  };
}
