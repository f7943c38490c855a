/** Fly releases: reading them over GraphQL, creating and finishing them over the release REST API. */
import type { FlyRelease } from "../versions/types.js";
import type { CallOptions, FlyContext } from "./context.js";
import { releaseFinished } from "./fly-errors.js";
import {
  CURRENT_RELEASE_CONFIG_QUERY,
  CURRENT_RELEASE_QUERY,
  DEFAULT_RELEASES_PAGE_SIZE,
  RELEASE_CONFIG_QUERY,
  RELEASES_PAGE_QUERY,
} from "./graphql.js";
import { appNotFoundError, graphqlQuery } from "./graphql-request.js";
import {
  CurrentReleaseConfigDataSchema,
  CurrentReleaseDataSchema,
  decode,
  ReleaseConfigDataSchema,
  type ReleaseNode,
  ReleasesPageDataSchema,
  RestReleaseBodySchema,
} from "./schemas.js";

export interface ReleasesPage {
  releases: FlyRelease[];
  endCursor: string | null;
  hasNextPage: boolean;
  totalCount: number;
}

export interface ReleaseSummary {
  id: string;
  version: number;
  status: string;
}

/** Fly's deployment strategies (GraphQL `DeploymentStrategy`), in any case; sent upper-cased as flyctl does. */
export type DeploymentStrategy =
  | "rolling"
  | "immediate"
  | "canary"
  | "bluegreen"
  | "rolling_one"
  | "simple";

export interface CreateReleaseInput {
  app: string;
  image: string;
  strategy: DeploymentStrategy | Uppercase<DeploymentStrategy>;
  /** The app config (fly.toml as JSON) the release records: flyctl reads it back as the app's config. */
  definition: Record<string, unknown>;
}

export interface UpdateReleaseInput {
  /** `running`, then `complete`, `failed` or `interrupted`. */
  status: string;
  /** Omitted from the request when undefined, so an update never wipes metadata by accident. */
  metadata?: Record<string, unknown> | null | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function toFlyRelease(node: ReleaseNode): FlyRelease {
  return {
    id: node.id,
    version: node.version,
    status: node.status,
    stable: node.stable,
    reason: node.reason,
    description: node.description,
    user: node.user?.email ?? null,
    createdAt: node.createdAt,
    imageRef: node.imageRef ?? null,
    imageDigest: node.image?.digest ?? null,
    metadata: isPlainObject(node.metadata) ? node.metadata : null,
  };
}

export async function releasesPage(
  ctx: FlyContext,
  app: string,
  page: { first: number; after?: string | null | undefined },
  options?: CallOptions,
): Promise<ReleasesPage> {
  const operation = "list releases";
  const data = await graphqlQuery(
    ctx,
    {
      operation,
      app,
      document: RELEASES_PAGE_QUERY,
      variables: { appName: app, first: page.first, after: page.after ?? null },
      data: ReleasesPageDataSchema,
    },
    options,
  );
  if (!data.app) throw appNotFoundError(operation, app, undefined);
  const { nodes, pageInfo, totalCount } = data.app.releases;
  return {
    releases: nodes.filter((node) => node !== null).map(toFlyRelease),
    endCursor: pageInfo.endCursor ?? null,
    hasNextPage: pageInfo.hasNextPage,
    totalCount,
  };
}

/** Every release of the app, newest first as Fly orders them, one page at a time. */
export async function* allReleases(
  ctx: FlyContext,
  app: string,
  page: { pageSize?: number | undefined } = {},
  options?: CallOptions,
): AsyncGenerator<ReleasesPage, void, undefined> {
  let after: string | null = null;
  for (;;) {
    const current = await releasesPage(
      ctx,
      app,
      { first: page.pageSize ?? DEFAULT_RELEASES_PAGE_SIZE, after },
      options,
    );
    yield current;
    // A server that claims more pages but gives no cursor would loop forever on page one.
    if (!current.hasNextPage || !current.endCursor || current.endCursor === after) return;
    after = current.endCursor;
  }
}

export async function currentRelease(
  ctx: FlyContext,
  app: string,
  options?: CallOptions,
): Promise<FlyRelease | null> {
  const operation = "read the current release";
  const data = await graphqlQuery(
    ctx,
    {
      operation,
      app,
      document: CURRENT_RELEASE_QUERY,
      variables: { appName: app },
      data: CurrentReleaseDataSchema,
    },
    options,
  );
  if (!data.app) throw appNotFoundError(operation, app, undefined);
  return data.app.currentRelease ? toFlyRelease(data.app.currentRelease) : null;
}

/** Only the fields semfly relies on; the REST release carries more. */
function summary(release: ReleaseSummary): ReleaseSummary {
  return { id: release.id, version: release.version, status: release.status };
}

export async function createRelease(
  ctx: FlyContext,
  input: CreateReleaseInput,
  options: CallOptions = {},
): Promise<ReleaseSummary> {
  const operation = "create a release";
  const response = await ctx.http.send({
    operation,
    method: "POST",
    url: `${ctx.endpoints.uiexBaseUrl}/api/v1/releases`,
    authorization: ctx.authorization.releases,
    body: {
      app_name: input.app,
      definition: input.definition,
      image: input.image,
      strategy: input.strategy.toUpperCase(),
    },
    // Sending it twice would create two releases.
    repeatable: false,
    signal: options.signal,
    retry: options.retry,
  });
  return summary(decode(operation, RestReleaseBodySchema, response));
}

export async function updateRelease(
  ctx: FlyContext,
  id: string,
  input: UpdateReleaseInput,
  options: CallOptions = {},
): Promise<ReleaseSummary> {
  const operation = "update a release";
  const body: Record<string, unknown> = { status: input.status };
  if (input.metadata !== undefined) body.metadata = input.metadata;
  const response = await ctx.http.send({
    operation,
    method: "PATCH",
    url: `${ctx.endpoints.uiexBaseUrl}/api/v1/releases/${encodeURIComponent(id)}`,
    authorization: ctx.authorization.releases,
    body,
    // Setting a status is idempotent; flyctl retries it too.
    repeatable: true,
    refine: (failure) =>
      failure.status === 422 && /already finished/i.test(failure.detail)
        ? releaseFinished(failure, id)
        : undefined,
    signal: options.signal,
    retry: options.retry,
  });
  return summary(decode(operation, RestReleaseBodySchema, response));
}

/** A release's recorded app config; `definition` is null when the release has none. */
export interface ReleaseDefinition {
  version: number;
  definition: Record<string, unknown> | null;
}

function definitionOf(node: {
  version: number;
  config?: { definition?: unknown } | null | undefined;
}): ReleaseDefinition {
  const definition = node.config?.definition;
  return { version: node.version, definition: isPlainObject(definition) ? definition : null };
}

/** The current release's app config (`currentRelease { config { definition } }`); null: no release. */
export async function currentReleaseDefinition(
  ctx: FlyContext,
  app: string,
  options?: CallOptions,
): Promise<ReleaseDefinition | null> {
  const operation = "read the app config";
  const data = await graphqlQuery(
    ctx,
    {
      operation,
      app,
      document: CURRENT_RELEASE_CONFIG_QUERY,
      variables: { appName: app },
      data: CurrentReleaseConfigDataSchema,
    },
    options,
  );
  if (!data.app) throw appNotFoundError(operation, app, undefined);
  return data.app.currentRelease ? definitionOf(data.app.currentRelease) : null;
}

/** One release's app config (`release(version:) { config { definition } }`); null: no such release. */
export async function releaseDefinition(
  ctx: FlyContext,
  app: string,
  version: number,
  options?: CallOptions,
): Promise<ReleaseDefinition | null> {
  const operation = "read a release's app config";
  const data = await graphqlQuery(
    ctx,
    {
      operation,
      app,
      document: RELEASE_CONFIG_QUERY,
      variables: { appName: app, version },
      data: ReleaseConfigDataSchema,
    },
    options,
  );
  if (!data.app) throw appNotFoundError(operation, app, undefined);
  return data.app.release ? definitionOf(data.app.release) : null;
}
