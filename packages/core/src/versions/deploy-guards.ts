/**
 * What a deploy may not do, decided from the history and the resolved image before anything changes: the
 * deploy-side twin of the rollback guards in target.ts. Every refusal is bad input (exit 2), and none of
 * the immutability rules has a flag that lifts it.
 */
import semver from "semver";
import { inputError, quote } from "../errors.js";
import type { VersionHistory } from "./history.js";
import { parseImageReference } from "./image-ref.js";
import { OCI_VERSION_LABEL, parseVersion } from "./recognize.js";

export interface DeployCandidate {
  /** The version given to `deploy`, canonical (checkDeployArguments). */
  version: string;
  /** The ref as the user gave it: its tag is the image's own word on its version. */
  imageRef: string;
  digest: string;
  /** The image's labels, when Fly or the registry told us (`{}`: none known). */
  labels: Record<string, string>;
  allowDowngrade?: boolean | undefined;
  /** `--force-version`: deploy as `version` even though the image's tag or label names another. */
  forceVersion?: boolean | undefined;
}

/** Refuse a deploy that would break a version's immutability, mislabel an image, or go backwards. */
export function checkDeployable(history: VersionHistory, candidate: DeployCandidate): void {
  const { app } = history;
  const { version, imageRef, digest } = candidate;
  const existing = history.versions.find((v) => v.version === version);
  if (existing?.digest && existing.digest !== digest) {
    throw inputError(
      "VERSION_IMMUTABLE",
      `${version} was already deployed to ${app} as ${existing.digest}; ${imageRef} is ${digest}.`,
      "A version is immutable once deployed: bump the version for a new image.",
    );
  }
  // Build metadata does not count in semver precedence: 5.2.0+hotfix.1 and 5.2.0 are the same place in
  // the order, so a second digest there would make `rollback 5.2.0` and every range ambiguous.
  const twin = history.versions.find(
    (v) =>
      v.version !== null &&
      v.version !== version &&
      v.digest !== null &&
      v.digest !== digest &&
      semver.compare(v.version, version) === 0,
  );
  if (twin) {
    throw inputError(
      "SAME_PRECEDENCE",
      `${version} has the same semver precedence as ${twin.version}, ${twin.live ? "live" : "deployed"} on ${app} as ${twin.digest}; ${imageRef} is another image (${digest}).`,
      `Build metadata (+…) does not make a new version: bump the patch, e.g. ${semver.inc(semver.parse(version)!.version, "patch")}.`,
    );
  }
  const other = history.versions.find(
    (v) => v.digest === digest && v.version && v.version !== version,
  );
  if (other) {
    throw inputError(
      "DIGEST_HAS_VERSION",
      `${imageRef} was already deployed to ${app} as ${other.version}.`,
      `Roll back to it instead: \`semfly rollback ${other.version}\`.`,
    );
  }
  const live = history.live?.version;
  if (live && semver.lt(version, live) && !candidate.allowDowngrade) {
    throw inputError(
      "DOWNGRADE_REFUSED",
      `${version} is lower than the live version ${live}.`,
      "Use `semfly rollback` for an older version, or pass --allow-downgrade.",
    );
  }
  if (!candidate.forceVersion) checkImageNamesVersion(candidate);
  if (existing?.live && !history.drift) {
    throw inputError("ALREADY_LIVE", `${version} is already live on ${app}.`, "Nothing to deploy.");
  }
}

/** The versions an image names itself: its tag, then its OCI version label (each when it is a semver). */
export function imageOwnVersions(
  imageRef: string,
  labels: Record<string, string>,
): Array<{ source: "tag" | "label"; version: string }> {
  const named: Array<{ source: "tag" | "label"; version: string }> = [];
  const tag = parseVersion(parseImageReference(imageRef).tag);
  if (tag) named.push({ source: "tag", version: tag });
  const label = parseVersion(labels[OCI_VERSION_LABEL]);
  if (label) named.push({ source: "label", version: label });
  return named;
}

/**
 * An image tagged or labelled 3.1.0 deployed as 3.2.0 is almost always the wrong image (a stale tag, a
 * copy-paste): the history would call it 3.2.0 while the image itself says otherwise.
 */
function checkImageNamesVersion(candidate: DeployCandidate): void {
  const conflict = imageOwnVersions(candidate.imageRef, candidate.labels).find(
    (named) => named.version !== candidate.version,
  );
  if (!conflict) return;
  const where = conflict.source === "tag" ? "its tag" : `its ${OCI_VERSION_LABEL} label`;
  throw inputError(
    "IMAGE_NAMES_OTHER_VERSION",
    `${candidate.imageRef} names ${conflict.version} (${where}), not ${candidate.version}.`,
    `Deploy it as ${conflict.version}, or pass --force-version to deploy it as ${candidate.version} anyway.`,
  );
}

/**
 * What a deploy can refuse before asking Fly anything: a version that is not semver, an empty image.
 * Returns the version in its canonical form.
 */
export function checkDeployArguments(versionText: string, imageRef: string): string {
  const version = parseVersion(versionText);
  if (!version) {
    throw inputError(
      "NOT_A_VERSION",
      `${quote(versionText)} is not a semver version.`,
      "Pass a version such as 3.2.0 or v3.2.0-rc.1.",
    );
  }
  if (imageRef.trim() === "") {
    throw inputError(
      "IMAGE_MISSING",
      `The image to deploy is empty (${quote(imageRef)}).`,
      `Pass the image pushed for ${version}, e.g. --image registry.fly.io/<app>:${version}.`,
    );
  }
  return version;
}
