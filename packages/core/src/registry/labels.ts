/**
 * Image labels for version recognition when GraphQL gives none (whether `Image.config` carries them is
 * uncertain: REAL-BEHAVIOUR.md §10). A separate, injectable source: the history code takes any
 * `LabelSource` and feeds what it learns to `buildVersionHistory({ labelsByDigest })`; this one reads the
 * registry's config blob (cached forever by digest in the client: a digest names one image).
 */
import type { RegistryClient } from "./client.js";

/** Labels of the image `ref` names at `digest`; null when nobody could say. */
export type LabelSource = (
  ref: string,
  digest: string,
  options?: { signal?: AbortSignal | undefined },
) => Promise<Record<string, string> | null>;

/** The OCI labels in the config blob of `ref` at `digest`, from the registry; null when it cannot say. */
export function labelsForDigest(
  registry: Pick<RegistryClient, "labelsForDigest">,
  ref: string,
  digest: string,
  options?: { signal?: AbortSignal | undefined },
): Promise<Record<string, string> | null> {
  return registry.labelsForDigest(ref, digest, options);
}

/** The registry as an injectable label source. */
export function registryLabelSource(
  registry: Pick<RegistryClient, "labelsForDigest">,
): LabelSource {
  return (ref, digest, options) => labelsForDigest(registry, ref, digest, options);
}

/** Labels for each distinct digest (in parallel), as `buildVersionHistory` takes them; unknowns left out. */
export async function collectLabels(
  source: LabelSource,
  images: ReadonlyArray<{ ref: string; digest: string }>,
  options?: { signal?: AbortSignal | undefined },
): Promise<Record<string, Record<string, string>>> {
  const distinct = new Map(images.map((image) => [image.digest, image.ref]));
  const found = await Promise.all(
    [...distinct].map(
      async ([digest, ref]) => [digest, await source(ref, digest, options)] as const,
    ),
  );
  const out: Record<string, Record<string, string>> = {};
  for (const [digest, labels] of found) if (labels) out[digest] = labels;
  return out;
}
