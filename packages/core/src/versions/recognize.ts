import semver from "semver";
import { parseImageReference } from "./image-ref.js";

/** The OCI annotation/label that carries an image's version. */
export const OCI_VERSION_LABEL = "org.opencontainers.image.version";
export const OCI_SOURCE_LABEL = "org.opencontainers.image.source";
export const OCI_REVISION_LABEL = "org.opencontainers.image.revision";

/**
 * A semver in its canonical text, build metadata included (`2.0.1+build.7`), or null.
 * Accepts a leading `v`, and `_` for `+`: Docker tags cannot hold `+`, so `2.0.1_build.7` is how a
 * build-tagged version travels as an image tag (the same convention Helm uses).
 */
export function parseVersion(text: string | null | undefined): string | null {
  if (!text) return null;
  let candidate = text.trim();
  if (/^v\d/i.test(candidate)) candidate = candidate.slice(1);
  const underscore = candidate.indexOf("_");
  if (underscore >= 0 && !candidate.includes("+")) {
    candidate = `${candidate.slice(0, underscore)}+${candidate.slice(underscore + 1)}`;
  }
  const parsed = semver.parse(candidate);
  if (!parsed) return null;
  return parsed.build.length > 0 ? `${parsed.version}+${parsed.build.join(".")}` : parsed.version;
}

export interface VersionEvidence {
  /** A release's metadata: semfly writes `{ semfly: { version } }` on the releases it makes. */
  metadata?: Record<string, unknown> | null;
  imageRef?: string | null;
  labels?: Record<string, string> | null;
}

export type VersionSource = "metadata" | "tag" | "label";

export interface RecognizedVersion {
  version: string;
  source: VersionSource;
}

/** Recognise the semver of a release or image. First match wins: semfly metadata, image tag, OCI label. */
export function recognizeVersion(evidence: VersionEvidence): RecognizedVersion | null {
  const semflyMeta = evidence.metadata?.semfly;
  if (semflyMeta && typeof semflyMeta === "object" && "version" in semflyMeta) {
    const version = parseVersion(String((semflyMeta as { version: unknown }).version ?? ""));
    if (version) return { version, source: "metadata" };
  }
  if (evidence.imageRef) {
    const version = parseVersion(parseImageReference(evidence.imageRef).tag);
    if (version) return { version, source: "tag" };
  }
  const label = evidence.labels?.[OCI_VERSION_LABEL];
  if (label) {
    const version = parseVersion(label);
    if (version) return { version, source: "label" };
  }
  return null;
}

/** Semver precedence, highest first; build metadata breaks ties so the order is total. */
export function compareVersionsDescending(a: string, b: string): number {
  const byPrecedence = semver.rcompare(a, b);
  if (byPrecedence !== 0) return byPrecedence;
  return b.localeCompare(a);
}
