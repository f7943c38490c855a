import { shortDigest } from "./image-ref.js";

/** Whatever names a version: a plan's `VersionRef`, a history entry, a machine group, a parked set. */
export interface VersionLabelSource {
  version?: string | null | undefined;
  digest?: string | null | undefined;
  /** A history key: the semver, else the image's digest, else its ref. */
  key?: string | null | undefined;
}

/**
 * How a version is named on screen, in every app: its semver; else the short digest of its image; else its
 * key (an image ref). `none` names the absence of a version: "-" in a table cell, a word in a sentence.
 * Pure and import-free beyond the digest rule, so the CLI can load it without loading the rest of core
 * (`@semfly/core/label`).
 */
export function versionLabel(source: VersionLabelSource | null | undefined, none = "-"): string {
  if (!source) return none;
  if (source.version) return source.version;
  if (source.digest) return shortDigest(source.digest);
  if (source.key?.startsWith("sha256:")) return shortDigest(source.key);
  return source.key || none;
}
