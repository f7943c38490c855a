import { buildVersionHistory, type FormerImage, type VersionHistory } from "./history.js";
import { parseImageReference } from "./image-ref.js";

/** Image refs in machine configs that the history knows nothing of: worth resolving as former images. */
export function unknownImageRefs(history: VersionHistory, refs: readonly string[]): string[] {
  const knownRefs = new Set<string>();
  const knownDigests = new Set<string>();
  for (const entry of history.versions) {
    if (entry.imageRef) knownRefs.add(entry.imageRef);
    if (entry.digest) knownDigests.add(entry.digest);
    for (const release of entry.releases) if (release.imageRef) knownRefs.add(release.imageRef);
  }
  const unknown = new Set<string>();
  for (const ref of refs) {
    const digest = parseImageReference(ref).digest;
    if (knownRefs.has(ref) || (digest && knownDigests.has(digest))) continue;
    unknown.add(ref);
  }
  return [...unknown];
}

/** The same history, with the images machines ran before and no release names added as versions. */
export function withFormerImages(
  history: VersionHistory,
  formerImages: FormerImage[],
): VersionHistory {
  if (formerImages.length === 0) return history;
  const labelsByDigest: Record<string, Record<string, string>> = {};
  for (const entry of history.versions) {
    if (entry.digest && Object.keys(entry.labels).length > 0)
      labelsByDigest[entry.digest] = entry.labels;
  }
  return buildVersionHistory({
    app: history.app,
    releases: history.versions.flatMap((entry) => entry.releases),
    machines: history.machines.map((info) => info.machine),
    labelsByDigest,
    formerImages,
  });
}
