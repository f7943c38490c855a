import type { VersionEntry, VersionHistory } from "@semfly/core";
import { releaseRanges, shortDigest } from "./format.js";
import { type Cell, renderTable } from "./table.js";
import type { Terminal } from "./terminal.js";
import { timeAgo } from "./time.js";

export interface VersionJson {
  version: string | null;
  key: string;
  current: boolean;
  status: VersionEntry["status"];
  releases: number[];
  image: { ref: string | null; digest: string | null };
  deployedAt: string | null;
  deployedBy: string | null;
  machines: number;
  /** Machines run it while others run another version. */
  drift: boolean;
}

export function versionsJson(history: VersionHistory): VersionJson[] {
  return history.versions.map((entry) => ({
    version: entry.version,
    key: entry.key,
    current: entry.live,
    status: entry.status,
    releases: entry.releases.map((r) => r.version),
    image: { ref: entry.imageRef, digest: entry.digest },
    deployedAt: entry.deployedAt,
    deployedBy: entry.deployedBy,
    machines: entry.machines.length,
    drift: entry.drift,
  }));
}

const STATUS_STYLE = {
  live: "green",
  previous: "cyan",
  failed: "red",
  "in-progress": "yellow",
  superseded: undefined,
  "rolled-back-from": "yellow",
  drift: "yellow",
} as const;

/** How many machines run it: `3`, or `2 drift` when they are not the live version's; `-` for none. */
function machinesCell(entry: VersionEntry): Cell {
  const count = entry.machines.length;
  if (count === 0) return "-";
  return entry.drift && !entry.live ? { text: `${count} drift`, style: "yellow" } : String(count);
}

export function versionsTable(history: VersionHistory, term: Terminal, now: number): string {
  if (history.versions.length === 0) return `${history.app} has no releases yet.`;
  const rows: Cell[][] = history.versions.map((entry) => [
    entry.live ? "*" : "",
    entry.version ?? "-",
    { text: entry.status, style: STATUS_STYLE[entry.status] },
    releaseRanges(entry.releases),
    machinesCell(entry),
    shortDigest(entry.digest),
    timeAgo(entry.deployedAt, now),
    entry.deployedBy ?? "-",
  ]);
  return renderTable(
    [
      { header: "" },
      { header: "VERSION" },
      { header: "STATUS" },
      { header: "RELEASES" },
      { header: "MACHINES" },
      { header: "DIGEST" },
      { header: "DEPLOYED" },
      { header: "BY", shrink: 1 },
    ],
    rows,
    { width: term.width, palette: term.colors },
  );
}
