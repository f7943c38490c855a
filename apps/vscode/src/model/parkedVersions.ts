import {
  type FlyMachine,
  type ParkedSet,
  parkedSets,
  type UnmanagedMachine,
  type VersionEntry,
  type VersionHistory,
} from "@semfly/core";

/** A parked set with the machines it is made of, as the history's listing has them. */
export interface ParkedVersionSet {
  set: ParkedSet;
  machines: FlyMachine[];
}

export interface ParkedVersions {
  /** The parked sets of each version, by the version's key, newest expiry first. */
  byVersion: ReadonlyMap<string, ParkedVersionSet[]>;
  /** The machines outside Fly Launch management that no shown version's parked set accounts for. */
  unmanaged: UnmanagedMachine[];
}

/**
 * Which version each parked set belongs to. Parked machines are in the history's listing as not managed
 * (core's unmanagedReason); a set whose digest no version of the history has stays among those.
 */
export function parkedVersions(history: VersionHistory, now: number): ParkedVersions {
  const byDigest = new Map<string, VersionEntry>();
  for (const entry of history.versions) if (entry.digest) byDigest.set(entry.digest, entry);
  const listed = new Map(history.unmanaged.map((u) => [u.machine.id, u.machine]));
  const byVersion = new Map<string, ParkedVersionSet[]>();
  const placed = new Set<string>();
  for (const set of parkedSets([...listed.values()], now)) {
    const entry = set.digest ? byDigest.get(set.digest) : undefined;
    if (!entry) continue;
    const machines = set.machines.map((m) => listed.get(m.id)!);
    byVersion.set(entry.key, [...(byVersion.get(entry.key) ?? []), { set, machines }]);
    for (const m of set.machines) placed.add(m.id);
  }
  return {
    byVersion,
    unmanaged: history.unmanaged.filter((u) => !placed.has(u.machine.id)),
  };
}

/** The set an instant rollback to this version would start: its unexpired parked set, if any. */
export function instantSet(sets: readonly ParkedVersionSet[]): ParkedVersionSet | undefined {
  return sets.find((s) => !s.set.expired);
}
