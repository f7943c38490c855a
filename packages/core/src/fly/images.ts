/** Resolving an image reference through Fly's registry view of the app (GraphQL `App.image`). */
import type { CallOptions, FlyContext } from "./context.js";
import { RESOLVE_IMAGE_QUERY } from "./graphql.js";
import { appNotFoundError, graphqlQuery } from "./graphql-request.js";
import { ResolveImageDataSchema } from "./schemas.js";

export interface ResolvedImage {
  ref: string;
  digest: string;
  registry: string;
  repository: string;
  tag: string | null;
  /** Docker image labels (e.g. `fly.version`, `org.opencontainers.image.version`); {} when none. */
  labels: Record<string, string>;
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === "string") out[key] = item;
  return out;
}

/**
 * Labels from `Image.config`: a Docker image config, where labels sit at `config.Labels` (OCI layout) or, in
 * some renderings, at the top level `Labels`. The JSON scalar may arrive as a string; both are read.
 */
export function imageLabels(config: unknown): Record<string, string> {
  let doc = config;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      return {};
    }
  }
  if (typeof doc !== "object" || doc === null) return {};
  const record = doc as { Labels?: unknown; config?: { Labels?: unknown } | null };
  return stringRecord(record.config?.Labels) ?? stringRecord(record.Labels) ?? {};
}

export async function resolveImage(
  ctx: FlyContext,
  app: string,
  ref: string,
  options?: CallOptions,
): Promise<ResolvedImage | null> {
  const operation = "resolve an image";
  const data = await graphqlQuery(
    ctx,
    {
      operation,
      app,
      document: RESOLVE_IMAGE_QUERY,
      variables: { appName: app, ref },
      data: ResolveImageDataSchema,
      // Fly may answer a pruned image with NOT_FOUND on `app.image` rather than null: both mean "gone".
      tolerate: (error) => error.extensions?.code === "NOT_FOUND" && error.path?.[1] === "image",
    },
    options,
  );
  if (!data.app) throw appNotFoundError(operation, app, undefined);
  const image = data.app.image;
  if (!image) return null;
  return {
    ref: image.ref,
    digest: image.digest,
    registry: image.registry,
    repository: image.repository,
    tag: image.tag ?? null,
    labels: imageLabels(image.config),
  };
}
