/** Releases read by number (GraphQL `app.release(version:)`, aliased), for views that need only a few. */
import * as v from "valibot";
import type { FlyRelease } from "../versions/types.js";
import type { CallOptions, FlyContext } from "./context.js";
import { type ReleaseSelection, releasesByVersionQuery } from "./graphql.js";
import { appNotFoundError, graphqlQuery } from "./graphql-request.js";
import { imageLabels } from "./images.js";
import { toFlyRelease } from "./releases.js";
import { ReleaseImageConfigSchema, ReleaseNodeSchema } from "./schemas.js";

export interface ReleasesByVersion {
  currentRelease: FlyRelease | null;
  /** By release number; a number Fly has no release for is absent. */
  releases: Map<number, FlyRelease>;
}

/** The image of one release, with the labels of its config. */
export interface ReleaseImageLabels {
  digest: string;
  labels: Record<string, string>;
}

function dataSchema(count: number, selection: ReleaseSelection) {
  const node = selection === "full" ? ReleaseNodeSchema : ReleaseImageConfigSchema;
  const entries: Record<string, v.GenericSchema> = {};
  if (selection === "full") entries.currentRelease = v.nullish(ReleaseNodeSchema);
  for (let i = 0; i < count; i++) entries[`r${i}`] = v.nullish(node);
  return v.looseObject({ app: v.nullable(v.looseObject(entries)) });
}

async function queryReleases(
  ctx: FlyContext,
  app: string,
  versions: readonly number[],
  selection: ReleaseSelection,
  options?: CallOptions,
): Promise<Record<string, unknown>> {
  const operation = selection === "full" ? "read releases" : "read release images";
  const variables: Record<string, unknown> = { appName: app };
  versions.forEach((version, i) => {
    variables[`v${i}`] = version;
  });
  const data = await graphqlQuery(
    ctx,
    {
      operation,
      app,
      document: releasesByVersionQuery(versions.length, selection),
      variables,
      data: dataSchema(versions.length, selection),
      // A release number Fly does not know may answer NOT_FOUND on its alias rather than null.
      tolerate: (error) =>
        error.extensions?.code === "NOT_FOUND" &&
        typeof error.path?.[1] === "string" &&
        /^r\d+$/.test(error.path[1]),
    },
    options,
  );
  if (!data.app) throw appNotFoundError(operation, app, undefined);
  return data.app as Record<string, unknown>;
}

/** The current release and the releases numbered `versions`, in one request. */
export async function releasesByVersion(
  ctx: FlyContext,
  app: string,
  versions: readonly number[],
  options?: CallOptions,
): Promise<ReleasesByVersion> {
  const found = await queryReleases(ctx, app, versions, "full", options);
  const releases = new Map<number, FlyRelease>();
  versions.forEach((_, i) => {
    const node = found[`r${i}`] as v.InferOutput<typeof ReleaseNodeSchema> | null | undefined;
    if (node) releases.set(node.version, toFlyRelease(node));
  });
  const current = found.currentRelease as v.InferOutput<typeof ReleaseNodeSchema> | null;
  return { currentRelease: current ? toFlyRelease(current) : null, releases };
}

/**
 * The image digest and config labels of the releases numbered `versions`, in one request. A release whose
 * image Fly no longer has (pruned) is absent.
 */
export async function releaseImageLabels(
  ctx: FlyContext,
  app: string,
  versions: readonly number[],
  options?: CallOptions,
): Promise<Map<number, ReleaseImageLabels>> {
  if (versions.length === 0) return new Map();
  const found = await queryReleases(ctx, app, versions, "image-config", options);
  const out = new Map<number, ReleaseImageLabels>();
  versions.forEach((_, i) => {
    const node = found[`r${i}`] as
      | v.InferOutput<typeof ReleaseImageConfigSchema>
      | null
      | undefined;
    if (node?.image) {
      out.set(node.version, { digest: node.image.digest, labels: imageLabels(node.image.config) });
    }
  });
  return out;
}
