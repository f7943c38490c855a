/** Two versions of one app compared: images, labels, commit range, configs, releases between. Pure. */
import {
  type AppConfigDiff,
  type AppConfigSide,
  type ChangeKind,
  type ConfigChange,
  diffAppConfigs,
  keyPathChanges,
} from "./config-diff.js";
import type { VersionEntry, VersionHistory, VersionStatus } from "./history.js";
import { OCI_REVISION_LABEL, OCI_SOURCE_LABEL } from "./recognize.js";
import { releaseSucceeded } from "./release-status.js";
import type { FlyRelease, MachineConfig } from "./types.js";

export interface DiffSide {
  key: string;
  version: string | null;
  digest: string | null;
  imageRef: string | null;
  status: VersionStatus;
  live: boolean;
  deployedAt: string | null;
  deployedBy: string | null;
  /** Its Fly release numbers, highest first. */
  releases: number[];
}

export interface LabelChange {
  key: string;
  a: string | null;
  b: string | null;
  change: ChangeKind;
}

export interface SourceRange {
  /** `org.opencontainers.image.source`, as labelled. */
  repository: string;
  from: string;
  to: string;
  /** A web link that compares the two revisions, for hosts whose URL scheme is known (GitHub, GitLab). */
  compareUrl: string | null;
}

export interface ConfigDiff {
  /** Whether a machine config that ran each version was found in the machines' version history. */
  foundA: boolean;
  foundB: boolean;
  /** Empty when either config is missing. */
  changes: ConfigChange[];
}

export interface VersionDiff {
  app: string;
  a: DiffSide;
  b: DiffSide;
  sameImage: boolean;
  /** Every OCI label of either image, sorted by key. */
  labels: LabelChange[];
  /** The commit range, when both images carry a source and a revision label for the same repository. */
  source: SourceRange | null;
  /** Null when configs were not looked up. */
  config: ConfigDiff | null;
  /** The fly.toml each version was deployed with (its deploy release's), compared; null when not read. */
  appConfig: AppConfigDiff | null;
  /** Fly releases after the older version's last release, up to the newer one's, highest first. */
  releasesBetween: FlyRelease[];
}

export interface DiffInput {
  history: VersionHistory;
  a: VersionEntry;
  b: VersionEntry;
  /** A machine config that ran each version (null: none found), or undefined when not looked up. */
  configs?: { a: MachineConfig | null; b: MachineConfig | null } | undefined;
  /** Image labels from the registry, merged under what the history knows (machines' `image_ref.labels`). */
  labels?: { a: Record<string, string>; b: Record<string, string> } | undefined;
  /** Each version's fly.toml from its deploy release, or undefined when not read. */
  appConfigs?: { a: AppConfigSide; b: AppConfigSide } | undefined;
}

/** Config keys that differ on every deploy and say nothing about the app: the image is diffed on its own. */
const NOISE_PATHS = new Set(["image", "metadata.fly_release_id", "metadata.fly_release_version"]);
/**
 * semfly's own bookkeeping in a machine's metadata (a freeze, a kept image, park labels, a bluegreen launch
 * key): written by semfly on the machines, not part of what either version deploys.
 */
const SEMFLY_METADATA_PREFIX = "metadata.semfly_";

/** Compare two versions of one app. Pure. */
export function diffVersions(input: DiffInput): VersionDiff {
  const { history, a, b } = input;
  const labelsA = { ...input.labels?.a, ...a.labels };
  const labelsB = { ...input.labels?.b, ...b.labels };
  return {
    app: history.app,
    a: sideOf(a),
    b: sideOf(b),
    sameImage: a.digest !== null && a.digest === b.digest,
    labels: diffLabels(labelsA, labelsB),
    source: sourceRange(labelsA, labelsB),
    config: input.configs
      ? {
          foundA: input.configs.a !== null,
          foundB: input.configs.b !== null,
          changes:
            input.configs.a && input.configs.b ? diffConfigs(input.configs.a, input.configs.b) : [],
        }
      : null,
    appConfig: input.appConfigs ? diffAppConfigs(input.appConfigs.a, input.appConfigs.b) : null,
    releasesBetween: releasesBetween(history, a, b),
  };
}

function sideOf(entry: VersionEntry): DiffSide {
  return {
    key: entry.key,
    version: entry.version,
    digest: entry.digest,
    imageRef: entry.imageRef,
    status: entry.status,
    live: entry.live,
    deployedAt: entry.deployedAt,
    deployedBy: entry.deployedBy,
    releases: entry.releases.map((r) => r.version),
  };
}

export function diffLabels(a: Record<string, string>, b: Record<string, string>): LabelChange[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.map((key) => {
    const before = a[key] ?? null;
    const after = b[key] ?? null;
    const change: ChangeKind =
      before === null
        ? "added"
        : after === null
          ? "removed"
          : before === after
            ? "unchanged"
            : "changed";
    return { key, a: before, b: after, change };
  });
}

function sourceRange(a: Record<string, string>, b: Record<string, string>): SourceRange | null {
  const from = a[OCI_REVISION_LABEL];
  const to = b[OCI_REVISION_LABEL];
  const sourceA = a[OCI_SOURCE_LABEL];
  const sourceB = b[OCI_SOURCE_LABEL];
  const repository = sourceB ?? sourceA;
  if (!from || !to || !repository) return null;
  // Revisions of two different repositories cannot be compared.
  if (sourceA && sourceB && normalizeRepository(sourceA) !== normalizeRepository(sourceB))
    return null;
  return { repository, from, to, compareUrl: compareUrl(repository, from, to) };
}

/** `git@github.com:o/r.git`, `https://github.com/o/r.git/` → `https://github.com/o/r`. */
export function normalizeRepository(source: string): string {
  let url = source.trim();
  const scp = /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+)$/.exec(url);
  if (scp) url = `https://${scp[1]}/${scp[2]}`;
  url = url.replace(/^git\+/, "").replace(/^http:\/\//, "https://");
  return url.replace(/\/+$/, "").replace(/\.git$/, "");
}

/** A compare link for GitHub and GitLab (also self-hosted GitLab under a `gitlab.` host). */
export function compareUrl(source: string, from: string, to: string): string | null {
  const base = normalizeRepository(source);
  let host: string;
  try {
    host = new URL(base).hostname;
  } catch {
    return null;
  }
  if (host === "github.com" || host === "www.github.com") return `${base}/compare/${from}...${to}`;
  if (host === "gitlab.com" || host.startsWith("gitlab."))
    return `${base}/-/compare/${from}...${to}`;
  return null;
}

/** Every changed leaf of two machine configs, noise (image, release keys, semfly's keys) left out, by path. */
export function diffConfigs(a: MachineConfig, b: MachineConfig): ConfigChange[] {
  return keyPathChanges(a, b).filter(
    (c) => !NOISE_PATHS.has(c.path) && !c.path.startsWith(SEMFLY_METADATA_PREFIX),
  );
}

/** The release a version is known by: its newest completed one, else its newest attempt. */
function anchorRelease(entry: VersionEntry): number | null {
  return (entry.releases.find(releaseSucceeded) ?? entry.releases[0])?.version ?? null;
}

function releasesBetween(history: VersionHistory, a: VersionEntry, b: VersionEntry): FlyRelease[] {
  const anchorA = anchorRelease(a);
  const anchorB = anchorRelease(b);
  if (anchorA === null || anchorB === null || a.key === b.key) return [];
  const low = Math.min(anchorA, anchorB);
  const high = Math.max(anchorA, anchorB);
  return history.versions
    .flatMap((entry) => entry.releases)
    .filter((r) => r.version > low && r.version <= high)
    .sort((x, y) => y.version - x.version);
}
