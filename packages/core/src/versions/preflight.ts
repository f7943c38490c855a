/**
 * What a rollback or deploy will not give back, worked out before anything changes: migrations it
 * crosses, secrets changed since the target ran, volumes it leaves as they are. Pure: the facts are
 * fetched at the edge (operations/preflight.ts).
 */
import semver from "semver";
import type { VersionEntry, VersionHistory } from "./history.js";
import { semflyMetadata } from "./release-status.js";
import type { FlyMachine, FlyRelease, MachineConfig } from "./types.js";

/** A version whose deploy ran a release command (usually a migration) the target never saw. */
export interface CrossedMigration {
  version: string;
  /** The command, when the config or the release-command machine says. */
  command: string | null;
  /** Where semfly learnt it: the release's `deploy.release_command`, or a release-command machine. */
  source: "release-config" | "release-command-machine";
  release: number;
}

export type SecretChangeKind = "added" | "removed" | "changed";

export interface SecretChange {
  name: string;
  change: SecretChangeKind;
  /** When the current value was set (absent for a removed secret). */
  setAt: string | null;
}

export interface SecretsPreflight {
  /**
   * `digests`: the target's release recorded the secret digests, so the comparison is exact. `time`: only
   * what was set after the target was deployed is known (a removal cannot be seen).
   */
  basis: "digests" | "time";
  /** When the target was deployed, for `time`. */
  since: string | null;
  changes: SecretChange[];
}

export interface AttachedVolume {
  volumeId: string;
  name: string | null;
  path: string | null;
  machineId: string;
}

export interface RolloutPreflight {
  migrations: CrossedMigration[];
  /** Null when there is no earlier version to compare with (a first deploy) or secrets could not be read. */
  secrets: SecretsPreflight | null;
  volumes: AttachedVolume[];
  /** Facts that could not be read, said plainly (the preflight never fails a plan). */
  unknown: string[];
}

/** A secret as Fly lists it: name, digest of the value, when it was set. Never the value. */
export interface SecretDigest {
  name: string;
  digest: string;
  createdAt: string;
}

/** A version's release-command run, found as a machine of the reserved process group. */
export interface ReleaseCommandRun {
  release: number;
  command: string | null;
}

/** A version a move crosses, with the deploy releases of it that count (whose release command matters). */
export interface CrossedVersion {
  entry: VersionEntry;
  releases: FlyRelease[];
}

/**
 * Versions whose migrations the target may not match. A rollback crosses every version deployed after the
 * target last went live, by release number: the live one, those between, and a higher one rolled back from
 * earlier, whose migrations were never undone either. Without such a record of the target (an image only
 * machines knew), and for a deploy, the versions between live and target by semver.
 */
export function crossedVersions(
  history: VersionHistory,
  kind: "rollback" | "deploy",
  fromKey: string | null,
  to: { key: string; version: string | null },
): CrossedVersion[] {
  const target = history.versions.find((v) => v.key === to.key);
  const targetLast = Math.max(
    0,
    ...(target?.releases ?? []).filter((r) => r.imageRef !== null).map((r) => r.version),
  );
  if (kind === "rollback" && targetLast > 0) {
    return history.versions
      .filter((v) => v.key !== to.key)
      .map((entry) => ({
        entry,
        releases: deployReleases(entry).filter((r) => r.version > targetLast),
      }))
      .filter((c) => c.releases.length > 0);
  }
  const from = history.versions.find((v) => v.key === fromKey) ?? null;
  const low = kind === "rollback" ? to.version : (from?.version ?? null);
  const high = kind === "rollback" ? (from?.version ?? null) : to.version;
  const between =
    !low || !high
      ? kind === "rollback" && from && from.key !== to.key
        ? [from]
        : []
      : history.versions.filter((v) => {
          if (!v.version || v.key === to.key || !semver.gt(v.version, low)) return false;
          // Rolling back undoes the live version too; a deploy only passes over what lies between.
          return kind === "rollback" ? semver.lte(v.version, high) : semver.lt(v.version, high);
        });
  return between.map((entry) => ({ entry, releases: deployReleases(entry) }));
}

/**
 * A version's deploy releases, oldest first: flyctl runs the release command on `deploy` only, though every
 * release (scale, secrets) carries the whole config. Releases with an image stand in when none says deploy.
 */
export function deployReleases(entry: VersionEntry): FlyRelease[] {
  // semfly's own rollback releases are recorded with reason "deploy" too, yet never run the command.
  const withImage = entry.releases.filter(
    (r) => r.imageRef !== null && semflyMetadata(r)?.kind !== "rollback",
  );
  const deploys = withImage.filter((r) => r.reason === "deploy");
  return (deploys.length > 0 ? deploys : withImage).sort((a, b) => a.version - b.version);
}

/** `deploy.release_command` from a release's `definition` (the app config as JSON), if any. */
export function releaseCommandOf(definition: unknown): string | null {
  if (!definition || typeof definition !== "object") return null;
  const deploy = (definition as { deploy?: unknown }).deploy;
  if (!deploy || typeof deploy !== "object") return null;
  const command = (deploy as { release_command?: unknown }).release_command;
  return typeof command === "string" && command.trim() !== "" ? command.trim() : null;
}

export function crossedMigrations(
  crossed: readonly CrossedVersion[],
  definitions: ReadonlyMap<number, unknown>,
  runs: readonly ReleaseCommandRun[],
): CrossedMigration[] {
  const found: CrossedMigration[] = [];
  for (const { entry, releases } of crossed) {
    const numbers = new Set(releases.map((r) => r.version));
    const configured = releases
      .map((r) => ({ release: r.version, command: releaseCommandOf(definitions.get(r.version)) }))
      .find((r) => r.command !== null);
    if (configured) {
      found.push({ version: entry.key, ...configured, source: "release-config" });
      continue;
    }
    const run = runs.find((r) => numbers.has(r.release));
    if (run) {
      found.push({
        version: entry.key,
        command: run.command,
        source: "release-command-machine",
        release: run.release,
      });
    }
  }
  return found;
}

/** The command a release-command machine ran: its `init.cmd`, else its `init.entrypoint`, joined. */
export function releaseCommandRun(machine: FlyMachine): ReleaseCommandRun | null {
  const release = Number(machine.metadata.fly_release_version);
  if (!Number.isInteger(release) || release <= 0) return null;
  const init = machine.config.init as { cmd?: unknown; entrypoint?: unknown } | undefined;
  const parts = Array.isArray(init?.cmd)
    ? init.cmd
    : Array.isArray(init?.entrypoint)
      ? init.entrypoint
      : null;
  const command = parts?.every((p) => typeof p === "string") ? parts.join(" ") : null;
  return { release, command: command || null };
}

/** The secret digests semfly recorded on the target's newest release that has them. */
export function recordedSecrets(entry: VersionEntry): Record<string, string> | null {
  for (const release of [...entry.releases].sort((a, b) => b.version - a.version)) {
    const secrets = (semflyMetadata(release) as { secrets?: unknown } | null)?.secrets;
    if (secrets && typeof secrets === "object" && !Array.isArray(secrets)) {
      const digests: Record<string, string> = {};
      for (const [name, digest] of Object.entries(secrets)) {
        if (typeof digest === "string") digests[name] = digest;
      }
      return digests;
    }
  }
  return null;
}

/** Secrets changed since the target: by digest when semfly recorded them, else by time. */
export function secretsSince(
  target: VersionEntry,
  current: readonly SecretDigest[],
): SecretsPreflight | null {
  const recorded = recordedSecrets(target);
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  if (recorded) {
    const changes: SecretChange[] = [];
    for (const secret of current) {
      const was = recorded[secret.name];
      if (was === undefined)
        changes.push({ name: secret.name, change: "added", setAt: secret.createdAt });
      else if (was !== secret.digest) {
        changes.push({ name: secret.name, change: "changed", setAt: secret.createdAt });
      }
    }
    for (const name of Object.keys(recorded)) {
      if (!current.some((s) => s.name === name))
        changes.push({ name, change: "removed", setAt: null });
    }
    return { basis: "digests", since: null, changes: changes.sort(byName) };
  }
  const since = target.deployedAt;
  if (!since) return null;
  const changes = current
    .filter((s) => Date.parse(s.createdAt) > Date.parse(since))
    // By time alone a new name and a new value look alike: both are "set since".
    .map((s): SecretChange => ({ name: s.name, change: "changed", setAt: s.createdAt }))
    .sort(byName);
  return { basis: "time", since, changes };
}

/** The digests to record on a release, so a later rollback to it compares secrets exactly. */
export function secretDigestRecord(secrets: readonly SecretDigest[]): Record<string, string> {
  return Object.fromEntries(
    [...secrets].sort((a, b) => a.name.localeCompare(b.name)).map((s) => [s.name, s.digest]),
  );
}

/** Volumes the machines a plan changes have mounted (`config.mounts`), and the volume listing's names. */
export function attachedVolumes(
  machines: readonly { id: string; config: MachineConfig }[],
  volumes: readonly { id: string; name: string; attachedMachineId: string | null }[],
): AttachedVolume[] {
  const found = new Map<string, AttachedVolume>();
  for (const machine of machines) {
    const mounts = Array.isArray(machine.config.mounts) ? machine.config.mounts : [];
    for (const mount of mounts as { volume?: unknown; name?: unknown; path?: unknown }[]) {
      if (typeof mount?.volume !== "string" || mount.volume === "") continue;
      const listed = volumes.find((v) => v.id === mount.volume);
      found.set(mount.volume, {
        volumeId: mount.volume,
        name: listed?.name || (typeof mount.name === "string" ? mount.name : null),
        path: typeof mount.path === "string" ? mount.path : null,
        machineId: machine.id,
      });
    }
    for (const volume of volumes) {
      if (volume.attachedMachineId === machine.id && !found.has(volume.id)) {
        found.set(volume.id, {
          volumeId: volume.id,
          name: volume.name || null,
          path: null,
          machineId: machine.id,
        });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.volumeId.localeCompare(b.volumeId));
}

/** One line per preflight fact, for plans, confirmations and modals. */
export function preflightLines(preflight: RolloutPreflight, targetName: string): string[] {
  const lines: string[] = [];
  if (preflight.migrations.length > 0) {
    const named = preflight.migrations
      .map((m) => `${m.version} (v${m.release}${m.command ? `: ${m.command}` : ""})`)
      .join(", ");
    lines.push(
      `Migrations crossed: ${named} ran a release command; the database schema may not match ${targetName}.`,
    );
  } else {
    lines.push("Migrations crossed: none found.");
  }
  const secrets = preflight.secrets;
  if (secrets) {
    if (secrets.changes.length === 0) {
      lines.push(
        `Secrets: none changed since ${targetName}${secrets.basis === "time" ? " was deployed" : ""}.`,
      );
    } else {
      const listed = secrets.changes.map((c) => `${c.name} ${c.change}`).join(", ");
      lines.push(
        `Secrets changed since ${targetName}${secrets.basis === "time" ? ` was deployed (by time; removals cannot be seen)` : ""}: ${listed}. They stay as they are now.`,
      );
    }
  }
  if (preflight.volumes.length > 0) {
    const named = preflight.volumes
      .map((v) => `${v.volumeId}${v.name ? ` (${v.name})` : ""} on ${v.machineId}`)
      .join(", ");
    lines.push(
      `Volumes attached: ${named}: their data is not rolled back (--snapshot-volumes snapshots them first).`,
    );
  }
  for (const note of preflight.unknown) lines.push(`Not checked: ${note}`);
  return lines;
}
