import { parseImageReference } from "./image-ref.js";
import { recognizeVersion } from "./recognize.js";
import { semflyMetadata } from "./release-status.js";
import type { FlyMachine, FlyRelease } from "./types.js";

/** What names one version of the app: its semver, else its digest, else its image ref. */
export interface Identity {
  key: string;
  version: string | null;
  digest: string | null;
}

export interface IdentityEvidence {
  releases: readonly FlyRelease[];
  appMachines: readonly FlyMachine[];
  /** Image labels by digest, e.g. from `Release.image { config }` or a registry. */
  labelsByDigest?: Record<string, Record<string, string>> | undefined;
  /**
   * The listing's other machines (parked, kept, destroyed): not the app's, but an image's labels never
   * change, so a version only they run is still known by its label (the label loader counts on it).
   */
  otherMachines?: readonly FlyMachine[] | undefined;
}

/** The digest a release names: `Release.image.digest`, the digest in its ref, or what semfly recorded. */
export function releaseDigest(release: FlyRelease): string | null {
  if (release.imageDigest) return release.imageDigest;
  const fromRef = release.imageRef ? parseImageReference(release.imageRef).digest : null;
  if (fromRef) return fromRef;
  const fromMeta = semflyMetadata(release)?.digest;
  return typeof fromMeta === "string" && fromMeta ? fromMeta : null;
}

/**
 * A release that carries no image (`fly secrets set`, `fly scale count` and restarts may be recorded with
 * `imageRef: null`): it changes what runs around the image, never the image, so it is no version of its own.
 */
export function releaseHasNoImage(release: FlyRelease): boolean {
  return (
    !release.imageRef &&
    releaseDigest(release) === null &&
    recognizeVersion({ metadata: release.metadata }) === null
  );
}

/**
 * The version a release names from its own evidence alone (semfly's metadata, then its image tag), without
 * labels: a release this leaves unversioned is one whose image labels are worth looking up.
 */
export function versionWithoutLabels(release: FlyRelease): string | null {
  return (
    recognizeVersion({ metadata: release.metadata, imageRef: release.imageRef })?.version ?? null
  );
}

/** Learns which digest and ref belong to which version, then names any release or machine by it. */
export class ImageIdentities {
  private readonly versionByDigest = new Map<string, string>();
  private readonly digestByRef = new Map<string, string>();
  readonly labelsByDigest = new Map<string, Record<string, string>>();

  constructor(evidence: IdentityEvidence) {
    for (const [digest, labels] of Object.entries(evidence.labelsByDigest ?? {})) {
      this.labelsByDigest.set(digest, labels);
    }
    for (const machine of [...evidence.appMachines, ...(evidence.otherMachines ?? [])]) {
      const digest = machine.imageRef?.digest;
      if (digest && machine.imageRef && Object.keys(machine.imageRef.labels).length > 0) {
        this.labelsByDigest.set(digest, {
          ...machine.imageRef.labels,
          ...this.labelsByDigest.get(digest),
        });
      }
    }
    for (const machine of evidence.appMachines) {
      const digest = machine.imageRef?.digest;
      if (digest) this.digestByRef.set(machine.image, digest);
    }
    for (const release of evidence.releases) {
      const digest = releaseDigest(release);
      if (digest && release.imageRef) this.digestByRef.set(release.imageRef, digest);
    }
    // Learn versions from the strongest evidence first, so a digest keeps the version it was deployed as.
    for (const release of evidence.releases) {
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
    for (const machine of evidence.appMachines) {
      const digest = machine.imageRef?.digest || null;
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
    // flyd leaves `image_ref.digest` empty for an image it could not resolve: "" is no digest.
    const digest = machine.imageRef?.digest || this.digestByRef.get(machine.image) || null;
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

/** An image worth asking for its labels: a digest no release names a version for by itself. */
export interface LabelRequest {
  digest: string;
  /** The newest release that deployed it, so a source can read `Release.image { config }`. */
  release: number | null;
  ref: string | null;
}

/**
 * The images whose version could only come from their labels: digests that no release names a version for
 * by metadata or tag, less those already `known`. One request per digest, newest release first.
 */
export function imagesNeedingLabels(
  releases: readonly FlyRelease[],
  known: ReadonlySet<string>,
): LabelRequest[] {
  const versioned = new Set<string>();
  const wanted = new Map<string, LabelRequest>();
  for (const release of releases) {
    const digest = releaseDigest(release);
    if (!digest) continue;
    if (versionWithoutLabels(release) !== null) {
      versioned.add(digest);
      continue;
    }
    const seen = wanted.get(digest);
    if (!seen || (seen.release ?? 0) < release.version) {
      wanted.set(digest, { digest, release: release.version, ref: release.imageRef });
    }
  }
  return [...wanted.values()].filter((r) => !versioned.has(r.digest) && !known.has(r.digest));
}
