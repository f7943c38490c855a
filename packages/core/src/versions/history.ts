import semver from "semver";
import { driftGroupsOf, placementsOf } from "./drift.js";
import { type Identity, ImageIdentities, releaseHasNoImage } from "./identify.js";
import { isKeptMachine } from "./keep.js";
import { isParked, PARKED_UNTIL_KEY } from "./parked.js";
import { compareVersionsDescending, recognizeVersion } from "./recognize.js";
import { releaseInProgress, releaseSucceeded, semflyMetadata } from "./release-status.js";
import type { FlyMachine, FlyRelease } from "./types.js";

/**
 * `live`: what runs now. `previous`: what ran before it (the default rollback target).
 * `superseded`: once live, replaced by a higher version. `rolled-back-from`: once live, replaced by a
 * rollback. `failed`: never went live. `in-progress`: its only releases are still rolling out.
 * `drift`: no release names it, yet some machines run it (`fly image update`, `fly machine update --image`).
 */
export type VersionStatus =
  | "live"
  | "previous"
  | "failed"
  | "superseded"
  | "rolled-back-from"
  | "in-progress"
  | "drift";

export interface VersionEntry {
  /** The semver, or for an unversioned image its digest (else its image ref): unique in a history. */
  key: string;
  /** The semver, null for an unversioned image. */
  version: string | null;
  digest: string | null;
  /** The ref it was first deployed as (tag form when it had one). */
  imageRef: string | null;
  status: VersionStatus;
  live: boolean;
  /** True when at least one release of this image completed. */
  succeeded: boolean;
  /**
   * Not live, and a rollback was what last replaced it: it went live and was judged bad. True even while it
   * is `previous` (an undo of that rollback goes back to it); a range or a promote never picks it.
   */
  rolledBackFrom: boolean;
  /**
   * Every Fly release that belongs to this version, highest first: its deploys and the image-less releases
   * (secrets, scale, restart) made while it was live. Empty for a version only machines know.
   */
  releases: FlyRelease[];
  /**
   * When it last went live (or was last attempted, if it never did), and by whom. For a version only
   * machines know, when its machines last changed.
   */
  deployedAt: string | null;
  deployedBy: string | null;
  firstDeployedAt: string | null;
  /** OCI labels of the image, when a machine or the registry told us. */
  labels: Record<string, string>;
  /** The app machines running it now. */
  machines: FlyMachine[];
  /** Machines run it while others run something else: one side of the app's drift. */
  drift: boolean;
}

export interface MachineVersionInfo {
  machine: FlyMachine;
  /** The key of the version it runs, null when nothing identifies its image. */
  key: string | null;
  version: string | null;
  digest: string | null;
}

/** Machines that run something other than the live version, grouped. */
export interface DriftGroup {
  key: string | null;
  version: string | null;
  digest: string | null;
  processGroup: string;
  region: string;
  machineIds: string[];
}

/** What one set of machines of a process group in a region runs. */
export interface PlacementRun {
  key: string | null;
  version: string | null;
  digest: string | null;
  live: boolean;
  machineIds: string[];
}

/** One process group in one region, with the version (or digest) each set of its machines runs. */
export interface Placement {
  processGroup: string;
  region: string;
  /** The live version first, then by machine count. */
  runs: PlacementRun[];
}

export interface VersionHistory {
  app: string;
  /** Semver precedence, highest first; unversioned images after, most recently used first. */
  versions: VersionEntry[];
  live: VersionEntry | null;
  previous: VersionEntry | null;
  currentRelease: FlyRelease | null;
  /** The Fly Launch machines a rollout manages, each with the version it runs. */
  machines: MachineVersionInfo[];
  /** Machines outside Fly Launch management (see unmanagedReason): shown, never rolled. */
  unmanaged: UnmanagedMachine[];
  /** True when the app's machines do not all run the same version. */
  drift: boolean;
  driftGroups: DriftGroup[];
  /** Every process group and region, and what its machines run (drift included), as data. */
  placements: Placement[];
  /** What could not be read and what that leaves out, e.g. labels Fly would not give (shown, never fatal). */
  warnings: string[];
}

export interface HistoryInput {
  app: string;
  releases: FlyRelease[];
  machines?: FlyMachine[] | null;
  /** Fly's `currentRelease`, when known; otherwise the last completed release is taken as current. */
  currentRelease?: FlyRelease | null;
  /** Image labels by digest, e.g. from `Release.image { config }`; machines' `image_ref.labels` are used too. */
  labelsByDigest?: Record<string, Record<string, string>>;
  /**
   * Images the machines ran before (from their own config history) that no release names: what a
   * `fly image update` left behind once semfly moved the machines away from it.
   */
  formerImages?: FormerImage[];
}

/** An image machines once ran, resolved: its ref, digest and labels. */
export interface FormerImage {
  ref: string;
  digest: string;
  labels: Record<string, string>;
}

/** Process groups flyctl creates for one-off work; they never run the app's version. */
export const RESERVED_PROCESS_GROUPS: ReadonlySet<string> = new Set([
  "fly_app_release_command",
  "fly_app_test_machine_command",
  "fly_app_console",
]);

/**
 * Why flyctl would leave a machine alone (fly-go `ListFlyAppsMachines`), or null for a Fly Launch machine a
 * deploy manages: `fly_platform_version = v2`, not being destroyed, and not a one-off machine (release
 * command in either spelling, console, test).
 */
export function unmanagedReason(machine: FlyMachine): string | null {
  if (machine.state === "destroyed" || machine.state === "destroying") return `${machine.state}`;
  // A parked previous version takes no traffic and no rollout: `semfly parked` shows it.
  if (isParked(machine)) return `parked until ${machine.metadata[PARKED_UNTIL_KEY]}`;
  if (machine.metadata.fly_platform_version !== "v2") return "not a Fly Launch machine";
  if (
    machine.processGroup === "fly_app_release_command" ||
    machine.metadata.process_group === "release_command"
  ) {
    return "a release command machine";
  }
  if (machine.processGroup === "fly_app_console") return "a console machine";
  if (machine.processGroup === "fly_app_test_machine_command") return "a test machine";
  return null;
}

/** A Fly Launch machine that is not one `semfly keep` parked to hold an image. */
export function isAppMachine(machine: FlyMachine): boolean {
  return unmanagedReason(machine) === null && !isKeptMachine(machine);
}

/** A machine semfly shows but never touches. */
export interface UnmanagedMachine {
  machine: FlyMachine;
  reason: string;
}

interface Accumulator {
  identity: Identity;
  releases: FlyRelease[];
  succeeded: boolean;
  everLive: boolean;
  /** How it stopped being live the last time: replaced by a higher version, or rolled back. */
  leftBy: "superseded" | "rolled-back-from" | null;
  wentLiveAt: FlyRelease | null;
  imageRef: string | null;
  digest: string | null;
}

/** Group Fly releases (and, when given, machines) into semver versions. Pure. */
export function buildVersionHistory(input: HistoryInput): VersionHistory {
  const appMachines = (input.machines ?? []).filter(isAppMachine);
  const identities = new ImageIdentities({
    releases: input.releases,
    appMachines,
    labelsByDigest: input.labelsByDigest,
    otherMachines: (input.machines ?? []).filter((m) => !isAppMachine(m)),
  });
  const ascending = [...input.releases].sort((a, b) => a.version - b.version);
  const groups = new Map<string, Accumulator>();
  const groupOf = (id: Identity): Accumulator => {
    let group = groups.get(id.key);
    if (!group) {
      group = {
        identity: id,
        releases: [],
        succeeded: false,
        everLive: false,
        leftBy: null,
        wentLiveAt: null,
        imageRef: null,
        digest: id.digest,
      };
      groups.set(id.key, group);
    }
    return group;
  };

  // Walk the releases in order: each belongs to the version live after it, or (for a failed or running
  // deploy of another image) to the version it tried to ship, which then never counts as live.
  const liveSequence: string[] = [];
  let liveKey: string | null = null;
  for (const release of ascending) {
    if (releaseHasNoImage(release)) {
      // It changed secrets, scale or a restart of what was live. Before anything was live it belongs to
      // no version at all.
      if (liveKey !== null) groups.get(liveKey)?.releases.push(release);
      continue;
    }
    const id = identities.ofRelease(release);
    const group = groupOf(id);
    group.releases.push(release);
    if (!group.imageRef && release.imageRef && (releaseSucceeded(release) || !group.succeeded)) {
      group.imageRef = release.imageRef;
    }
    if (id.digest && (releaseSucceeded(release) || !group.digest)) group.digest = id.digest;
    if (!releaseSucceeded(release)) continue;
    if (!group.succeeded) group.imageRef = release.imageRef ?? group.imageRef;
    group.succeeded = true;
    if (id.key === liveKey) continue;
    if (liveKey !== null) {
      const replaced = groups.get(liveKey);
      if (replaced) replaced.leftBy = leftBy(replaced.identity, id, release);
    }
    liveKey = id.key;
    group.everLive = true;
    group.wentLiveAt = release;
    liveSequence.push(id.key);
  }

  const currentRelease =
    input.currentRelease ?? [...ascending].reverse().find(releaseSucceeded) ?? null;
  if (input.currentRelease) {
    const currentKey = identities.ofRelease(input.currentRelease).key;
    if (groups.has(currentKey)) liveKey = currentKey;
  }

  const machines: MachineVersionInfo[] = appMachines.map((machine) => {
    const id = identities.ofMachine(machine);
    return {
      machine,
      key: id?.key ?? null,
      version: id?.version ?? null,
      digest: id?.digest ?? null,
    };
  });
  const machineKeys = new Set(machines.map((m) => m.key));
  const drift = machineKeys.size > 1;
  // Machines are the truth: a version they run is a version even when no release names it (`fly image
  // update`, `fly machine update --image`); when they all agree on it, it is live.
  for (const info of machines) {
    if (info.key !== null && !groups.has(info.key)) {
      groupOf({ key: info.key, version: info.version, digest: info.digest });
    }
  }
  for (const former of input.formerImages ?? []) {
    const version =
      recognizeVersion({ imageRef: former.ref, labels: former.labels })?.version ?? null;
    const key = version ?? former.digest;
    if (groups.has(key) || [...groups.values()].some((g) => g.digest === former.digest)) continue;
    identities.labelsByDigest.set(former.digest, former.labels);
    const group = groupOf({ key, version, digest: former.digest });
    // Machines ran it, so it went live for them; it left when they moved on.
    group.everLive = true;
    group.imageRef = former.ref;
  }
  if (machines.length > 0 && !drift) {
    const only = machines[0]!;
    if (only.key !== null && only.key !== liveKey) {
      const group = groupOf({ key: only.key, version: only.version, digest: only.digest });
      if (liveKey !== null) {
        const replaced = groups.get(liveKey);
        if (replaced) replaced.leftBy = leftBy(replaced.identity, group.identity, null);
      }
      group.everLive = true;
      liveKey = only.key;
      liveSequence.push(only.key);
    }
  }

  const previousKey = [...liveSequence].reverse().find((key) => key !== liveKey) ?? null;
  const entries = [...groups.values()].map((group) =>
    toEntry(group, liveKey, previousKey, machines, identities, drift),
  );
  entries.sort(compareEntries);
  const live = entries.find((entry) => entry.key === liveKey) ?? null;
  const previous = entries.find((entry) => entry.key === previousKey) ?? null;
  return {
    app: input.app,
    versions: entries,
    live,
    previous,
    currentRelease,
    machines,
    unmanaged: (input.machines ?? []).flatMap((machine) => {
      // semfly's own image holders are neither the app's machines nor someone else's.
      const reason = isKeptMachine(machine) ? null : unmanagedReason(machine);
      return reason ? [{ machine, reason }] : [];
    }),
    drift,
    driftGroups: drift ? driftGroupsOf(machines, liveKey) : [],
    placements: placementsOf(machines, liveKey),
    warnings: [],
  };
}

function leftBy(
  replaced: Identity,
  next: Identity,
  release: FlyRelease | null,
): "superseded" | "rolled-back-from" {
  if (release && semflyMetadata(release)?.kind === "rollback") return "rolled-back-from";
  if (replaced.version && next.version && semver.lt(next.version, replaced.version)) {
    return "rolled-back-from";
  }
  return "superseded";
}

function toEntry(
  group: Accumulator,
  liveKey: string | null,
  previousKey: string | null,
  machines: MachineVersionInfo[],
  identities: ImageIdentities,
  appDrifts: boolean,
): VersionEntry {
  const key = group.identity.key;
  const releases = [...group.releases].sort((a, b) => b.version - a.version);
  const lastAttempt = releases[0] ?? null;
  const deployed = group.wentLiveAt ?? lastAttempt;
  const oldest = releases[releases.length - 1] ?? null;
  const status: VersionStatus =
    key === liveKey
      ? "live"
      : key === previousKey
        ? "previous"
        : group.everLive
          ? (group.leftBy ?? "superseded")
          : releases.length === 0
            ? "drift"
            : releases.every(releaseInProgress)
              ? "in-progress"
              : "failed";
  const running = machines.filter((m) => m.key === key).map((m) => m.machine);
  const machinesChangedAt = running
    .map((m) => m.updatedAt)
    .filter((at): at is string => at !== null)
    .sort()
    .pop();
  const digest = group.digest ?? running.find((m) => m.imageRef?.digest)?.imageRef?.digest ?? null;
  return {
    key,
    version: group.identity.version,
    digest,
    imageRef: group.imageRef ?? running[0]?.image ?? null,
    status,
    live: key === liveKey,
    // Machines run it, so it did start: a version with no release is as good a target as a deployed one.
    succeeded: group.succeeded || group.everLive || (releases.length === 0 && running.length > 0),
    rolledBackFrom: key !== liveKey && group.leftBy === "rolled-back-from",
    releases,
    deployedAt: deployed?.createdAt ?? machinesChangedAt ?? null,
    deployedBy: deployed?.user ?? null,
    firstDeployedAt: oldest?.createdAt ?? null,
    labels: (digest ? identities.labelsByDigest.get(digest) : undefined) ?? {},
    machines: running,
    drift: appDrifts && running.length > 0,
  };
}

function compareEntries(a: VersionEntry, b: VersionEntry): number {
  if (a.version && b.version) return compareVersionsDescending(a.version, b.version);
  if (a.version) return -1;
  if (b.version) return 1;
  // A version only machines know runs now: it comes before every unversioned image releases name.
  return (
    (b.releases[0]?.version ?? Number.MAX_SAFE_INTEGER) -
    (a.releases[0]?.version ?? Number.MAX_SAFE_INTEGER)
  );
}

/** The release that belongs to a Fly release number, with its version. */
export function findRelease(
  history: VersionHistory,
  releaseNumber: number,
): { entry: VersionEntry; release: FlyRelease } | null {
  for (const entry of history.versions) {
    const release = entry.releases.find((r) => r.version === releaseNumber);
    if (release) return { entry, release };
  }
  return null;
}
