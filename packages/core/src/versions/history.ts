import semver from "semver";
import { parseImageReference } from "./image-ref.js";
import { compareVersionsDescending, recognizeVersion } from "./recognize.js";
import { releaseInProgress, releaseSucceeded, semflyMetadata } from "./release-status.js";
import type { FlyMachine, FlyRelease } from "./types.js";

/**
 * `live`: what runs now. `previous`: what ran before it (the default rollback target).
 * `superseded`: once live, replaced by a higher version. `rolled-back-from`: once live, replaced by a
 * rollback. `failed`: never went live. `in-progress`: its only releases are still rolling out.
 */
export type VersionStatus =
  | "live"
  | "previous"
  | "failed"
  | "superseded"
  | "rolled-back-from"
  | "in-progress";

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
  /** Every Fly release that belongs to this version, highest first. */
  releases: FlyRelease[];
  /** When it last went live (or was last attempted, if it never did), and by whom. */
  deployedAt: string | null;
  deployedBy: string | null;
  firstDeployedAt: string | null;
  /** OCI labels of the image, when a machine or the registry told us. */
  labels: Record<string, string>;
  /** The app machines running it now. */
  machines: FlyMachine[];
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
  processGroup: string;
  region: string;
  machineIds: string[];
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
}

export interface HistoryInput {
  app: string;
  releases: FlyRelease[];
  machines?: FlyMachine[] | null;
  /** Fly's `currentRelease`, when known; otherwise the last completed release is taken as current. */
  currentRelease?: FlyRelease | null;
  /** Image labels by digest, e.g. from `app.image(ref)`; machines' `image_ref.labels` are used too. */
  labelsByDigest?: Record<string, Record<string, string>>;
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

export function isAppMachine(machine: FlyMachine): boolean {
  return unmanagedReason(machine) === null;
}

/** A machine semfly shows but never touches. */
export interface UnmanagedMachine {
  machine: FlyMachine;
  reason: string;
}

interface Identity {
  key: string;
  version: string | null;
  digest: string | null;
}

/** Learns which digest and ref belong to which version, then names any release or machine by it. */
class ImageIdentities {
  private readonly versionByDigest = new Map<string, string>();
  private readonly digestByRef = new Map<string, string>();
  readonly labelsByDigest = new Map<string, Record<string, string>>();

  constructor(input: HistoryInput, appMachines: FlyMachine[]) {
    for (const [digest, labels] of Object.entries(input.labelsByDigest ?? {})) {
      this.labelsByDigest.set(digest, labels);
    }
    for (const machine of appMachines) {
      const digest = machine.imageRef?.digest;
      if (digest && machine.imageRef && Object.keys(machine.imageRef.labels).length > 0) {
        this.labelsByDigest.set(digest, {
          ...machine.imageRef.labels,
          ...this.labelsByDigest.get(digest),
        });
      }
      if (digest) this.digestByRef.set(machine.image, digest);
    }
    for (const release of input.releases) {
      const digest = releaseDigest(release);
      if (digest && release.imageRef) this.digestByRef.set(release.imageRef, digest);
    }
    // Learn versions from the strongest evidence first, so a digest keeps the version it was deployed as.
    for (const release of input.releases) {
      const digest = this.digestOfRelease(release);
      const recognized = recognizeVersion({
        metadata: release.metadata,
        imageRef: release.imageRef,
        labels: digest ? this.labelsByDigest.get(digest) : null,
      });
      if (digest && recognized && !this.versionByDigest.has(digest)) {
        this.versionByDigest.set(digest, recognized.version);
      }
    }
    for (const machine of appMachines) {
      const digest = machine.imageRef?.digest ?? null;
      const recognized = recognizeVersion({
        imageRef: machine.image,
        labels: machine.imageRef?.labels ?? null,
      });
      if (digest && recognized && !this.versionByDigest.has(digest)) {
        this.versionByDigest.set(digest, recognized.version);
      }
    }
  }

  digestOfRelease(release: FlyRelease): string | null {
    return (
      releaseDigest(release) ??
      (release.imageRef ? (this.digestByRef.get(release.imageRef) ?? null) : null)
    );
  }

  ofRelease(release: FlyRelease): Identity {
    const digest = this.digestOfRelease(release);
    const version =
      recognizeVersion({
        metadata: release.metadata,
        imageRef: release.imageRef,
        labels: digest ? this.labelsByDigest.get(digest) : null,
      })?.version ??
      (digest ? this.versionByDigest.get(digest) : undefined) ??
      null;
    return identity(version, digest, release.imageRef ?? `release v${release.version}`);
  }

  ofMachine(machine: FlyMachine): Identity | null {
    const digest = machine.imageRef?.digest ?? this.digestByRef.get(machine.image) ?? null;
    const version =
      (digest ? this.versionByDigest.get(digest) : undefined) ??
      recognizeVersion({ imageRef: machine.image, labels: machine.imageRef?.labels ?? null })
        ?.version ??
      null;
    if (!version && !digest && !machine.image) return null;
    return identity(version, digest, machine.image);
  }
}

function identity(version: string | null, digest: string | null, ref: string): Identity {
  return { key: version ?? digest ?? ref, version, digest };
}

function releaseDigest(release: FlyRelease): string | null {
  if (release.imageDigest) return release.imageDigest;
  const fromRef = release.imageRef ? parseImageReference(release.imageRef).digest : null;
  if (fromRef) return fromRef;
  const fromMeta = semflyMetadata(release)?.digest;
  return typeof fromMeta === "string" && fromMeta ? fromMeta : null;
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
  const identities = new ImageIdentities(input, appMachines);
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
  // Machines are the truth: when they all agree on a version the releases do not show as live (someone
  // ran `fly machine update --image`), that version is live.
  if (machines.length > 0 && !drift) {
    const only = machines[0]!;
    if (only.key !== null && only.key !== liveKey) {
      groupOf({ key: only.key, version: only.version, digest: only.digest }).everLive = true;
      liveKey = only.key;
      liveSequence.push(only.key);
    }
  }

  const previousKey = [...liveSequence].reverse().find((key) => key !== liveKey) ?? null;
  const entries = [...groups.values()].map((group) =>
    toEntry(group, liveKey, previousKey, machines, identities),
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
      const reason = unmanagedReason(machine);
      return reason ? [{ machine, reason }] : [];
    }),
    drift,
    driftGroups: drift ? driftGroupsOf(machines, liveKey) : [],
  };
}

function leftBy(
  replaced: Identity,
  next: Identity,
  release: FlyRelease,
): "superseded" | "rolled-back-from" {
  if (semflyMetadata(release)?.kind === "rollback") return "rolled-back-from";
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
          : releases.length > 0 && releases.every(releaseInProgress)
            ? "in-progress"
            : "failed";
  const running = machines.filter((m) => m.key === key).map((m) => m.machine);
  const digest = group.digest ?? running.find((m) => m.imageRef?.digest)?.imageRef?.digest ?? null;
  return {
    key,
    version: group.identity.version,
    digest,
    imageRef: group.imageRef ?? running[0]?.image ?? null,
    status,
    live: key === liveKey,
    succeeded: group.succeeded || group.everLive,
    releases,
    deployedAt: deployed?.createdAt ?? null,
    deployedBy: deployed?.user ?? null,
    firstDeployedAt: oldest?.createdAt ?? null,
    labels: (digest ? identities.labelsByDigest.get(digest) : undefined) ?? {},
    machines: running,
  };
}

function compareEntries(a: VersionEntry, b: VersionEntry): number {
  if (a.version && b.version) return compareVersionsDescending(a.version, b.version);
  if (a.version) return -1;
  if (b.version) return 1;
  return (b.releases[0]?.version ?? 0) - (a.releases[0]?.version ?? 0);
}

function driftGroupsOf(machines: MachineVersionInfo[], liveKey: string | null): DriftGroup[] {
  const groups = new Map<string, DriftGroup>();
  for (const info of machines) {
    if (info.key === liveKey) continue;
    const id = `${info.key}\u0000${info.machine.processGroup}\u0000${info.machine.region}`;
    let group = groups.get(id);
    if (!group) {
      group = {
        key: info.key,
        version: info.version,
        processGroup: info.machine.processGroup,
        region: info.machine.region,
        machineIds: [],
      };
      groups.set(id, group);
    }
    group.machineIds.push(info.machine.id);
  }
  return [...groups.values()];
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
