import { resolveRollbackTarget, type VersionEntry, type VersionHistory } from "@semfly/core";
import type { IconData } from "./treeItem.js";

/**
 * How a version row looks. Core decides the status; this only picks which of it matters most on one
 * row: a version that machines still run although it is not live is "drifted", whatever its past.
 */
export type VersionLook =
  | "live"
  | "in-progress"
  | "failed"
  | "drifted"
  | "previous"
  | "unversioned"
  | "older";

export function versionLook(entry: VersionEntry): VersionLook {
  if (entry.live) return "live";
  if (entry.status === "in-progress") return "in-progress";
  if (entry.status === "failed") return "failed";
  if (entry.machines.length > 0) return "drifted";
  if (entry.status === "previous") return "previous";
  if (entry.version === null) return "unversioned";
  return "older";
}

export const VERSION_ICONS: Record<VersionLook, IconData> = {
  live: { id: "pass-filled", color: "charts.green" },
  "in-progress": { id: "sync~spin" },
  failed: { id: "error", color: "charts.red" },
  drifted: { id: "warning", color: "charts.yellow" },
  previous: { id: "history", color: "charts.blue" },
  unversioned: { id: "question" },
  older: { id: "circle-outline" },
};

/**
 * Why this version cannot be rolled back to, in core's words, or null when it can. The live version is
 * never offered from the tree (rolling back to what runs is a converge, which the CLI offers).
 */
export function rollbackBlocker(history: VersionHistory, entry: VersionEntry): string | null {
  if (entry.live) return `${entry.version ?? entry.key} is live.`;
  try {
    resolveRollbackTarget(history, { key: entry.key });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
