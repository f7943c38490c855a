import {
  buildSchema,
  type DocumentNode,
  GraphQLError,
  type GraphQLFieldResolver,
  GraphQLInterfaceType,
  GraphQLObjectType,
  graphql,
  Kind,
  type OperationDefinitionNode,
  parse,
} from "graphql";
import { appSecrets } from "./app-storage.js";
import { type Route, sendJson } from "./http.js";
import {
  type AppRecord,
  currentRelease,
  type ImageRecord,
  type ReleaseRecord,
  type UserRecord,
} from "./model.js";
import { graphqlImage } from "./oci-registry.js";
import { parseImageRef } from "./registry.js";
import { flyGraphqlSubsetSdl } from "./schema/fly-subset.generated.js";
import { EmulatorError, type EmulatorState } from "./state.js";
import { isPlainObject, sha256Hex } from "./util.js";

/** Connections return at most this many nodes per page; a larger `first`/`last` is clamped (our choice). */
export const MAX_PAGE_SIZE = 100;
const RELEASE_STATUSES = new Set(["pending", "running", "complete", "failed", "interrupted"]);

interface GqlContext {
  state: EmulatorState;
  user: string | null;
}

interface ConnectionArgs {
  after?: string | null;
  before?: string | null;
  first?: number | null;
  last?: number | null;
  status?: string | null;
}

function gqlError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

function fromEmulatorError(error: unknown): unknown {
  if (!(error instanceof EmulatorError)) return error;
  const code =
    error.status === 404
      ? "NOT_FOUND"
      : error.status === 422
        ? "UNPROCESSABLE_ENTITY"
        : "BAD_REQUEST";
  return gqlError(error.message, code);
}

function userView(state: EmulatorState, email: string | null): UserRecord | null {
  if (!email) return null;
  return state.users.get(email) ?? { id: email, email, name: null };
}

const imageDocuments = new WeakMap<ImageRecord, ReturnType<typeof ociDocuments>>();

/** The image's OCI config, its digest and manifest (derived once per image). */
function ociDocuments(image: ImageRecord) {
  const ociConfig = {
    architecture: "amd64",
    os: "linux",
    created: image.createdAt,
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Labels: { ...image.labels },
    },
    rootfs: { type: "layers", diff_ids: [`sha256:${sha256Hex(`diff:${image.digest}`)}`] },
  };
  const configText = JSON.stringify(ociConfig);
  const configDigest = `sha256:${sha256Hex(configText)}`;
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: configDigest,
      size: Buffer.byteLength(configText),
    },
    layers: [
      {
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: `sha256:${sha256Hex(`layer:${image.digest}`)}`,
        size: image.sizeBytes,
      },
    ],
  };
  return { ociConfig, configDigest, manifest };
}

/** Image as GraphQL `Image`: `config` is the OCI image config (labels under `config.Labels`). */
export function imageView(image: ImageRecord, ref: string) {
  const parsed = parseImageRef(ref);
  let documents = imageDocuments.get(image);
  if (!documents) {
    documents = ociDocuments(image);
    imageDocuments.set(image, documents);
  }
  const { ociConfig, configDigest, manifest } = documents;
  return {
    id: `img_${image.digest.slice(7, 27)}`,
    absoluteRef: `${image.registry}/${image.repository}@${image.digest}`,
    compressedSize: Math.min(image.sizeBytes, 2_147_483_647),
    // graphql-ruby's BigInt is sent as a string.
    compressedSizeFull: String(image.sizeBytes),
    config: ociConfig,
    configDigest,
    createdAt: image.createdAt,
    digest: image.digest,
    label: parsed.tag ?? image.tag ?? image.digest,
    manifest,
    ref,
    registry: image.registry,
    repository: image.repository,
    tag: parsed.tag ?? image.tag,
  };
}

function releaseView(state: EmulatorState, release: ReleaseRecord) {
  return {
    // `Release.config` (AppConfig, `definition: JSON!`) is the fly.toml the release carried; a release
    // recorded without one has no config (null), so a client cannot mistake `{}` for a real config.
    config:
      release.definition === null || release.definition === undefined
        ? null
        : { definition: release.definition, errors: [], valid: true },
    configDefinition: release.definition ?? null,
    createdAt: release.createdAt,
    deploymentStrategy: release.strategy,
    description: release.description,
    evaluationId: release.evaluationId,
    id: release.id,
    image: () => {
      if (!release.imageRef) return null;
      const image = state.findImage(release.imageRef);
      return image ? imageView(image, release.imageRef) : null;
    },
    imageRef: release.imageRef,
    inProgress: release.status === "pending" || release.status === "running",
    metadata: release.metadata,
    reason: release.reason,
    revertedTo: release.revertedTo,
    stable: release.stable,
    status: release.status,
    updatedAt: release.updatedAt,
    user: () => userView(state, release.userEmail),
    version: release.version,
  };
}

function encodeCursor(version: number): string {
  return Buffer.from(`release:${version}`).toString("base64");
}

function decodeCursor(cursor: string): number {
  const match = /^release:(\d+)$/.exec(Buffer.from(cursor, "base64").toString("utf8"));
  if (!match?.[1]) throw gqlError(`Invalid cursor: ${cursor}`, "BAD_REQUEST");
  return Number(match[1]);
}

/** A Relay connection over an app's releases, newest (highest version) first. */
function releaseConnection(state: EmulatorState, app: AppRecord, args: ConnectionArgs) {
  for (const name of ["first", "last"] as const) {
    const value = args[name];
    if (value !== undefined && value !== null && value < 0) {
      throw gqlError(`Argument '${name}' on Field 'releases' can't be negative`, "BAD_REQUEST");
    }
  }
  const all: ReleaseRecord[] = [];
  for (let i = app.releases.length - 1; i >= 0; i--) {
    const release = app.releases[i];
    if (release && (!args.status || release.status === args.status)) all.push(release);
  }
  let start = 0;
  let end = all.length;
  if (args.after) {
    const after = decodeCursor(args.after);
    while (start < end && (all[start]?.version ?? 0) >= after) start++;
  }
  if (args.before) {
    const before = decodeCursor(args.before);
    while (end > start && (all[end - 1]?.version ?? 0) <= before) end--;
  }
  const first =
    args.first ?? (args.last === undefined || args.last === null ? MAX_PAGE_SIZE : null);
  if (first !== null) end = Math.min(end, start + Math.min(first, MAX_PAGE_SIZE));
  if (args.last !== undefined && args.last !== null)
    start = Math.max(start, end - Math.min(args.last, MAX_PAGE_SIZE));
  const page = all.slice(start, end);
  const edges = page.map((release) => ({
    cursor: encodeCursor(release.version),
    node: releaseView(state, release),
  }));
  return {
    edges,
    nodes: edges.map((edge) => edge.node),
    pageInfo: {
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
      hasPreviousPage: start > 0,
      hasNextPage: end < all.length,
    },
    totalCount: all.length,
  };
}

function findApp(
  state: EmulatorState,
  args: { name?: string | null; internalId?: string | null; id?: string | null },
) {
  for (const app of state.apps.values()) {
    if (args.name && app.name === args.name) return app;
    if (args.internalId && app.internalId === args.internalId) return app;
    if (args.id && app.id === args.id) return app;
  }
  return null;
}

type Resolver = GraphQLFieldResolver<unknown, GqlContext, Record<string, unknown>>;

const RESOLVERS: Record<string, Record<string, Resolver>> = {
  Queries: {
    app: (_root, args, { state }) => {
      const app = findApp(state, args as { name?: string; internalId?: string; id?: string });
      // Wording and code are our assumption of Fly's NOT_FOUND error.
      if (!app) throw gqlError("Could not find App", "NOT_FOUND");
      return app;
    },
    viewer: (_root, _args, { state, user }) => userView(state, user),
  },
  Mutations: {
    createRelease: (_root, args, { state, user }) => {
      const input = args.input as {
        appId: string;
        buildId?: string | null;
        clientMutationId?: string | null;
        definition: unknown;
        image: string;
        strategy: string;
      };
      const app = findApp(state, { id: input.appId, name: input.appId });
      if (!app) throw gqlError("Could not find App", "NOT_FOUND");
      try {
        const release = state.createRelease(app.name, {
          image: input.image,
          strategy: input.strategy,
          definition: input.definition,
          buildId: input.buildId ?? null,
          userEmail: user,
        });
        return {
          app,
          clientMutationId: input.clientMutationId ?? null,
          release: releaseView(state, release),
        };
      } catch (error) {
        throw fromEmulatorError(error);
      }
    },
    updateRelease: (_root, args, { state }) => {
      const input = args.input as {
        clientMutationId?: string | null;
        metadata?: unknown;
        releaseId: string;
        status?: string | null;
      };
      if (input.status && !RELEASE_STATUSES.has(input.status)) {
        throw gqlError(`invalid status ${JSON.stringify(input.status)}`, "UNPROCESSABLE_ENTITY");
      }
      if (
        input.metadata !== undefined &&
        input.metadata !== null &&
        !isPlainObject(input.metadata)
      ) {
        throw gqlError("metadata must be an object or null", "UNPROCESSABLE_ENTITY");
      }
      try {
        const release = state.updateRelease(
          input.releaseId,
          input.status ?? null,
          (input.metadata as Record<string, unknown> | null | undefined) ?? null,
        );
        return {
          clientMutationId: input.clientMutationId ?? null,
          release: releaseView(state, release),
        };
      } catch (error) {
        throw fromEmulatorError(error);
      }
    },
  },
  App: {
    createdAt: (app) => (app as AppRecord).createdAt,
    currentRelease: (app, _args, { state }) => {
      const release = currentRelease(app as AppRecord);
      return release ? releaseView(state, release) : null;
    },
    currentReleaseUnprocessed: (app, _args, { state }) => {
      const release = currentRelease(app as AppRecord);
      return release ? releaseView(state, release) : null;
    },
    deployed: (app) => (app as AppRecord).machines.size > 0,
    hostname: (app) => `${(app as AppRecord).name}.fly.dev`,
    image: (app, args, { state }) => {
      const found = graphqlImage(state, String(args.ref));
      // Another organisation's image is not this app's to see (the registry is per organisation).
      if (!found || !state.imageVisibleTo(app as AppRecord, found.image)) return null;
      return imageView(found.image, found.ref);
    },
    platformVersion: () => "machines",
    secrets: (app) => appSecrets(app as AppRecord).map((secret) => ({ ...secret })),
    release: (app, args, { state }) => {
      const record = app as AppRecord;
      let release: ReleaseRecord | null = null;
      if (typeof args.id === "string")
        release = record.releases.find((r) => r.id === args.id) ?? null;
      else if (typeof args.version === "number")
        release = state.releaseByVersion(record, args.version);
      return release ? releaseView(state, release) : null;
    },
    releases: (app, args, { state }) =>
      releaseConnection(state, app as AppRecord, { ...args, status: null }),
    releasesUnprocessed: (app, args, { state }) => releaseConnection(state, app as AppRecord, args),
    state: (app) => ((app as AppRecord).machines.size > 0 ? "DEPLOYED" : "PENDING"),
    status: (app) => ((app as AppRecord).machines.size > 0 ? "deployed" : "pending"),
  },
};

const schema = buildSchema(flyGraphqlSubsetSdl);
for (const [typeName, fields] of Object.entries(RESOLVERS)) {
  const type = schema.getType(typeName);
  if (!(type instanceof GraphQLObjectType))
    throw new Error(`schema has no object type ${typeName}`);
  const typeFields = type.getFields();
  for (const [fieldName, resolve] of Object.entries(fields)) {
    const field = typeFields[fieldName];
    if (!field) throw new Error(`schema has no field ${typeName}.${fieldName}`);
    field.resolve = resolve;
  }
}
for (const name of ["Principal", "Node"]) {
  const type = schema.getType(name);
  if (type instanceof GraphQLInterfaceType) type.resolveType = () => "User";
}

/** The executable schema (Fly's SDL subset plus the emulator's resolvers). */
export const flyGraphqlSchema = schema;

const documents = new Map<string, DocumentNode | null>();

function operationOf(query: string, operationName: string | undefined) {
  let document = documents.get(query);
  if (document === undefined) {
    try {
      document = parse(query);
    } catch {
      document = null;
    }
    if (documents.size > 500) documents.clear();
    documents.set(query, document);
  }
  const operations = (document?.definitions ?? []).filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations[0];
  return {
    name: operationName ?? operation?.name?.value ?? "anonymous",
    mutating: operation?.operation === "mutation",
  };
}

/** Routes `POST /graphql` (`{query, variables, operationName}` → `{data, errors}`). */
export function routeGraphql(
  state: EmulatorState,
  method: string,
  pathname: string,
  body: Buffer,
): Route | null {
  if (pathname !== "/graphql" || method !== "POST") return null;
  let request: { query?: unknown; variables?: unknown; operationName?: unknown } | null = null;
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (isPlainObject(parsed)) request = parsed;
  } catch {
    request = null;
  }
  const query = typeof request?.query === "string" ? request.query : null;
  const operationName =
    typeof request?.operationName === "string" ? request.operationName : undefined;
  const operation = query
    ? operationOf(query, operationName)
    : { name: "anonymous", mutating: false };
  return {
    service: "graphql",
    operation: operation.name,
    mutating: operation.mutating,
    handle: async (ctx) => {
      if (query === null) {
        sendJson(ctx.res, 400, {
          errors: [{ message: "request body must be JSON with a string `query`" }],
        });
        return;
      }
      const variables = isPlainObject(request?.variables) ? request.variables : undefined;
      const result = await graphql({
        schema,
        source: query,
        variableValues: variables,
        operationName,
        contextValue: { state, user: ctx.user } satisfies GqlContext,
      });
      sendJson(ctx.res, 200, result);
    },
  };
}
