import type { FlyClient } from "../fly/client.js";
import type { RegistryClient } from "../registry/client.js";
import type { LabelRequest } from "../versions/identify.js";

/**
 * Where image labels come from. The default reads `Release.image { config }` over GraphQL; a registry
 * client (OCI config blobs) can stand in or be tried after it.
 */
export interface ImageLabelSource {
  /** Kept with each cached answer: a digest one source found unlabelled is still worth asking another. */
  readonly name: string;
  /**
   * Labels by digest for the images asked. A digest left out is unknown (ask again next time); one
   * present with `{}` has no labels.
   */
  lookup(
    app: string,
    images: readonly LabelRequest[],
    options: { signal?: AbortSignal | undefined },
  ): Promise<Map<string, Record<string, string>>>;
}

/** How many releases one label request asks about: aliases in one GraphQL query. */
export const LABEL_BATCH_SIZE = 50;

/** Labels from each release's image config (`app.release(version:) { image { digest config } }`). */
export function releaseConfigLabelSource(
  client: Pick<FlyClient, "releaseImageLabels">,
): ImageLabelSource {
  return {
    name: "fly-release-image-config",
    async lookup(app, images, options) {
      const byRelease = new Map<number, string>();
      for (const image of images)
        if (image.release !== null) byRelease.set(image.release, image.digest);
      const found = await client.releaseImageLabels(app, [...byRelease.keys()], options);
      const out = new Map<string, Record<string, string>>();
      for (const [release, digest] of byRelease) {
        const image = found.get(release);
        // The release's image is the one asked about unless Fly answers with another digest.
        if (image && image.digest === digest) out.set(digest, image.labels);
      }
      return out;
    },
  };
}

/** Labels from the registry's own config blobs (`ref@digest`), for images GraphQL labels with nothing. */
export function registryImageLabelSource(
  registry: Pick<RegistryClient, "labelsForDigest">,
): ImageLabelSource {
  return {
    name: "registry-config-blob",
    async lookup(_app, images, options) {
      const out = new Map<string, Record<string, string>>();
      await Promise.all(
        images.map(async (image) => {
          if (!image.ref) return;
          const labels = await registry
            .labelsForDigest(image.ref, image.digest, options)
            .catch(() => null);
          if (labels) out.set(image.digest, labels);
        }),
      );
      return out;
    },
  };
}

/**
 * Ask each source in turn about what the ones before it could not label (left out, or `{}`): whether
 * GraphQL's image config carries labels at all is uncertain, so an empty answer is not the last word.
 */
export function labelSourceChain(sources: readonly ImageLabelSource[]): ImageLabelSource {
  return {
    name: sources.map((s) => s.name).join("+"),
    async lookup(app, images, options) {
      const out = new Map<string, Record<string, string>>();
      let left = [...images];
      for (const source of sources) {
        if (left.length === 0) break;
        const found = await source.lookup(app, left, options);
        for (const [digest, labels] of found) {
          if (Object.keys(labels).length > 0 || !out.has(digest)) out.set(digest, labels);
        }
        left = left.filter((image) => Object.keys(out.get(image.digest) ?? {}).length === 0);
      }
      return out;
    },
  };
}

/** What the CLI and the extension ask: each release's image config, then the registry itself. */
export function defaultLabelSource(
  client: Pick<FlyClient, "releaseImageLabels">,
  registry: Pick<RegistryClient, "labelsForDigest"> | null | undefined,
): ImageLabelSource {
  const graphql = releaseConfigLabelSource(client);
  return registry ? labelSourceChain([graphql, registryImageLabelSource(registry)]) : graphql;
}
