import { type FlyEndpoints, type RolloutStrategy, resolveEndpoints } from "@semfly/core";
import * as vscode from "vscode";
import { ENDPOINT_SETTINGS, Settings } from "../constants.js";
import type { Log } from "../platform/log.js";
import { userLevelValue } from "./userLevel.js";

/** Each ignored workspace value is reported once, not on every refresh. */
const reportedWorkspaceValues = new Set<string>();

function configuration(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(Settings.section);
}

/**
 * Where the token goes: each endpoint from the user's settings, else FLY_*_BASE_URL from the
 * environment (as flyctl honours), else Fly's public API. Workspace values are never read.
 */
export function readEndpoints(log: Log): FlyEndpoints {
  const fromEnv = resolveEndpoints(process.env);
  const config = configuration();
  const endpoints = { ...fromEnv };
  // The setting names are the endpoint names: semfly.apiBaseUrl → apiBaseUrl.
  for (const setting of ENDPOINT_SETTINGS) {
    const inspected = config.inspect<string>(setting);
    const read = userLevelValue(inspected);
    const ignored = JSON.stringify([
      setting,
      inspected?.workspaceValue,
      inspected?.workspaceFolderValue,
    ]);
    if (read.ignoredWorkspaceValue && !reportedWorkspaceValues.has(ignored)) {
      reportedWorkspaceValues.add(ignored);
      log.warn(
        `Ignored ${Settings.section}.${setting} from the workspace settings: the Fly API endpoints are read from user settings only, so that a repository cannot send your token elsewhere.`,
      );
    }
    if (read.origin === "user" && typeof read.value === "string" && read.value.trim() !== "") {
      // createFlyClient validates the URL and names the setting's value in its error.
      endpoints[setting] = read.value.trim();
    }
  }
  return endpoints;
}

export function readConfiguredApps(): unknown[] {
  const apps = configuration().get<unknown>(Settings.apps);
  return Array.isArray(apps) ? apps : [];
}

/** Seconds between automatic refreshes; 0 turns them off. */
export function readRefreshIntervalSeconds(): number {
  const value = configuration().get<number>(Settings.refreshIntervalSeconds, 60);
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.max(5, value) : 0;
}

export function readRollbackStrategy(): RolloutStrategy {
  const value = configuration().get<string>(Settings.rollbackStrategy, "rolling");
  return value === "canary" || value === "immediate" ? value : "rolling";
}

/** Whether a complete rollback freezes the app on its target, as `semfly rollback` does unless `--no-freeze`. */
export function readFreezeAfterRollback(): boolean {
  return configuration().get<boolean>(Settings.freezeAfterRollback, true) !== false;
}

export function affectsEndpoints(event: vscode.ConfigurationChangeEvent): boolean {
  return ENDPOINT_SETTINGS.some((s) => event.affectsConfiguration(`${Settings.section}.${s}`));
}

export function affects(event: vscode.ConfigurationChangeEvent, setting: string): boolean {
  return event.affectsConfiguration(`${Settings.section}.${setting}`);
}
