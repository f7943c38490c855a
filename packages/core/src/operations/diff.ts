import { configRanVersion } from "../versions/config-match.js";
import type { VersionEntry, VersionHistory, VersionStatus } from "../versions/history.js";
import { digestReference } from "../versions/image-ref.js";
import { OCI_REVISION_LABEL, OCI_SOURCE_LABEL } from "../versions/recognize.js";
import { releaseSucceeded } from "../versions/release-status.js";
import { lookupVersion } from "../versions/target.js";
import type { FlyRelease, MachineConfig } from "../versions/types.js";
import { type HistoryClient, loadVersionHistory } from "./load-history.js";
import type { MachineVersionsClient, PrepareClient } from "./prepare.js";

export type ChangeKind = "added" | "removed" | "changed" | "unchanged";

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

export interface ConfigChange {
  /** A dotted path into the machine config, array items as `[i]`: `guest.memory_mb`, `services[0].ports`. */
  path: string;
  a: unknown;
  b: unknown;
  change: Exclude<ChangeKind, "unchanged">;
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
}

/** Config keys that differ on every deploy and say nothing about the app: the image is diffed on its own. */
const NOISE_PATHS = new Set(["image", "metadata.fly_release_id", "metadata.fly_release_version"]);

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

/** Every changed leaf of two machine configs, noise (image, release keys) left out, sorted by path. */
export function diffConfigs(a: MachineConfig, b: MachineConfig): ConfigChange[] {
  const changes: ConfigChange[] = [];
  walk(a, b, "", changes);
  return changes
    .filter((c) => !NOISE_PATHS.has(c.path))
    .sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

function walk(a: unknown, b: unknown, path: string, out: ConfigChange[]): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    out.push({ path, a: null, b, change: "added" });
    return;
  }
  if (b === undefined) {
    out.push({ path, a, b: null, change: "removed" });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) walk(a[key], b[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, a, b, change: "changed" });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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

/** Machines whose history is searched for configs, at most: each costs one request. */
const MAX_MACHINES_SEARCHED = 5;

/**
 * One config that ran each version, from the machines' version histories. Both from the same machine when
 * one machine ran both (so the diff shows the version's change, not two machines' differences).
 */
export async function findVersionConfigs(
  client: MachineVersionsClient,
  history: VersionHistory,
  a: VersionEntry,
  b: VersionEntry,
  signal?: AbortSignal,
): Promise<{ a: MachineConfig | null; b: MachineConfig | null }> {
  const candidates = [...history.machines]
    .sort(
      (x, y) =>
        Number(y.machine.processGroup === "app") - Number(x.machine.processGroup === "app") ||
        x.machine.id.localeCompare(y.machine.id),
    )
    .slice(0, MAX_MACHINES_SEARCHED);
  let found: { a: MachineConfig | null; b: MachineConfig | null } = { a: null, b: null };
  for (const { machine } of candidates) {
    const versions = await client.listMachineVersions(history.app, machine.id, { signal });
    const newestFirst = [...versions].sort((x, y) => y.version.localeCompare(x.version));
    const configA = newestFirst.find((v) => configRanVersion(v.config, a))?.config ?? null;
    const configB = newestFirst.find((v) => configRanVersion(v.config, b))?.config ?? null;
    if (configA && configB) return { a: configA, b: configB };
    found = { a: found.a ?? configA, b: found.b ?? configB };
  }
  return found;
}

export interface LoadVersionDiffOptions {
  a: string;
  /** Defaults to the live version. */
  b?: string | undefined;
  /** Look up image labels in the registry (one request per version). Default true. */
  withLabels?: boolean | undefined;
  /** Look up machine configs (one request per machine searched). Default true. */
  withConfig?: boolean | undefined;
  history?: VersionHistory | undefined;
  signal?: AbortSignal | undefined;
}

/** An image's labels as the registry has them; {} when the image is unknown or pruned. */
export async function registryLabels(
  client: Pick<PrepareClient, "resolveImage">,
  app: string,
  entry: VersionEntry,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  if (!entry.imageRef) return {};
  // By digest when known, so a moved tag cannot answer for another image.
  const ref = entry.digest ? digestReference(entry.imageRef, entry.digest) : entry.imageRef;
  const image = await client.resolveImage(app, ref, { signal });
  return image?.labels ?? {};
}

/** Load the history, find both versions, their labels and (by default) a config for each, and diff them. */
export async function loadVersionDiff(
  client: HistoryClient & MachineVersionsClient & Pick<PrepareClient, "resolveImage">,
  app: string,
  options: LoadVersionDiffOptions,
): Promise<VersionDiff> {
  const history =
    options.history ?? (await loadVersionHistory(client, app, { signal: options.signal }));
  const a = lookupVersion(history, options.a);
  const b = lookupVersion(history, options.b ?? "live");
  const [labelsA, labelsB, configs] = await Promise.all([
    options.withLabels === false ? {} : registryLabels(client, app, a, options.signal),
    options.withLabels === false ? {} : registryLabels(client, app, b, options.signal),
    options.withConfig === false
      ? undefined
      : findVersionConfigs(client, history, a, b, options.signal),
  ]);
  return diffVersions({ history, a, b, configs, labels: { a: labelsA, b: labelsB } });
}
