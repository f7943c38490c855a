import type { FlyClient } from "../fly/client.js";
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
