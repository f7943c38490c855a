import type { RollbackableMarker, VersionEntry, VersionHistory } from "@semfly/core";
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
  /** Whether Fly still has its image (absent when the markers were not loaded). */
  rollbackable?: Omit<RollbackableMarker, "key">;
}

export function versionsJson(
  history: VersionHistory,
  markers: readonly RollbackableMarker[] | null = null,
): VersionJson[] {
  const byKey = new Map((markers ?? []).map((m) => [m.key, m]));
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
    ...(byKey.has(entry.key) ? { rollbackable: withoutKey(byKey.get(entry.key)!) } : {}),
  }));
}

function withoutKey({ key: _key, ...rest }: RollbackableMarker): Omit<RollbackableMarker, "key"> {
  return rest;
}

/**
 * `restorable` (a machine references it), `restorable 3h ago` (the age of a registry answer), `image gone
 * 2d ago`, `unknown`, `no digest`, `-` (not asked).
 */
function imageCell(marker: RollbackableMarker | undefined, now: number): Cell {
  if (!marker || marker.state === "not-checked") return "-";
  if (marker.state === "no-digest") return { text: "no digest", style: "red" };
  if (marker.state === "unknown") return { text: "unknown", style: "yellow" };
  const age = marker.source === "machines" ? "" : ` ${timeAgo(marker.checkedAt, now)}`;
  return marker.state === "restorable"
    ? `restorable${age}`
    : { text: `image gone${age}`, style: "red" };
}

/** What the IMAGE column leaves unsaid: versions not asked this run, and why nobody could say for unknowns. */
export function rollbackableNotes(
  history: VersionHistory,
  markers: readonly RollbackableMarker[],
): string[] {
  const notes: string[] = [];
  const capped = markers.filter((m) => m.unasked === "limit");
  if (capped.length > 0) {
    notes.push(
      `Image not checked for ${capped.length} older version${capped.length === 1 ? "" : "s"} (-): ${capped[0]!.detail}.`,
    );
  }
  const unknown = markers.filter((m) => m.state === "unknown");
  if (unknown.length > 0) {
    const names = unknown.map(
      (m) => history.versions.find((e) => e.key === m.key)?.version ?? m.key,
    );
    notes.push(`Image unknown for ${names.join(", ")}: ${unknown[0]!.detail}.`);
  }
  return notes;
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

export function versionsTable(
  history: VersionHistory,
  term: Terminal,
  now: number,
  markers: readonly RollbackableMarker[] | null = null,
): string {
  if (history.versions.length === 0) return `${history.app} has no releases yet.`;
  const byKey = new Map((markers ?? []).map((m) => [m.key, m]));
  const rows: Cell[][] = history.versions.map((entry) => [
    entry.live ? "*" : "",
    entry.version ?? "-",
    { text: entry.status, style: STATUS_STYLE[entry.status] },
    releaseRanges(entry.releases),
    machinesCell(entry),
    shortDigest(entry.digest),
    ...(markers ? [imageCell(byKey.get(entry.key), now)] : []),
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
      ...(markers ? [{ header: "IMAGE" }] : []),
      { header: "DEPLOYED" },
      { header: "BY", shrink: 1 },
    ],
    rows,
    { width: term.width, palette: term.colors },
  );
}
