import type { FlyRelease, VersionHistory } from "@semfly/core";
import { renderTable } from "./table.js";
import type { Terminal } from "./terminal.js";
import { timeAgo } from "./time.js";

export interface ReleaseRow {
  release: FlyRelease;
  /** The version the history gives this release (the one live after it, or the one it tried to ship). */
  version: string | null;
}

/** Every release of the history with its version, highest release number first. */
export function releaseRows(history: VersionHistory): ReleaseRow[] {
  return history.versions
    .flatMap((entry) => entry.releases.map((release) => ({ release, version: entry.version })))
    .sort((a, b) => b.release.version - a.release.version);
}

export function releasesJson(history: VersionHistory) {
  return releaseRows(history).map(({ release, version }) => ({
    release: release.version,
    version,
    status: release.status,
    reason: release.reason,
    description: release.description,
    user: release.user,
    createdAt: release.createdAt,
    imageRef: release.imageRef,
    digest: release.imageDigest,
    id: release.id,
  }));
}

const STATUS_STYLE: Record<string, "green" | "red" | "yellow"> = {
  complete: "green",
  succeeded: "green",
  failed: "red",
  interrupted: "yellow",
  cancelled: "yellow",
  running: "yellow",
  pending: "yellow",
};

export function releasesTable(history: VersionHistory, term: Terminal, now: number): string {
  const rows = releaseRows(history);
  if (rows.length === 0) return `${history.app} has no releases yet.`;
  return renderTable(
    [
      { header: "RELEASE" },
      { header: "VERSION" },
      { header: "STATUS" },
      { header: "REASON" },
      { header: "DESCRIPTION", shrink: 1 },
      { header: "USER" },
      { header: "DATE" },
    ],
    rows.map(({ release, version }) => [
      `v${release.version}`,
      version ?? "-",
      { text: release.status, style: STATUS_STYLE[release.status.toLowerCase()] },
      release.reason || "-",
      release.description || "-",
      release.user ?? "-",
      timeAgo(release.createdAt, now),
    ]),
    { width: term.width, palette: term.colors },
  );
}
