import { parseJsonBody, type Route, sendJson } from "./http.js";
import { currentRelease, type ReleaseRecord, type RestReleaseJson } from "./model.js";
import { EmulatorError, type EmulatorState } from "./state.js";
import { isPlainObject } from "./util.js";

const RELEASE_STATUSES = new Set(["pending", "running", "complete", "failed", "interrupted"]);
const DEFAULT_LIST_LIMIT = 25;
const MAX_LIST_LIMIT = 100;

/**
 * The release as flyctl's uiex client reads it (`id, version, stable, in_progress, status, strategy,
 * user, created_at, image_ref`), plus `description`, `reason` and `metadata`.
 */
export function restReleaseJson(release: ReleaseRecord): RestReleaseJson {
  return {
    id: release.id,
    version: release.version,
    stable: release.stable,
    in_progress: release.status === "pending" || release.status === "running",
    status: release.status,
    strategy: release.strategy,
    user: release.userEmail ?? "",
    created_at: release.createdAt,
    image_ref: release.imageRef,
    description: release.description,
    reason: release.reason,
    metadata: release.metadata,
  };
}

/** Routes the "uiex" release REST API under `/api/v1`. */
export function routeReleases(
  state: EmulatorState,
  method: string,
  pathname: string,
): Route | null {
  const parts = pathname.split("/").map((p) => decodeURIComponent(p));
  if (parts[1] !== "api" || parts[2] !== "v1") return null;
  const route = (operation: string, handle: Route["handle"]): Route => ({
    service: "releases",
    operation,
    mutating: method !== "GET",
    handle,
  });

  // POST /api/v1/releases
  if (method === "POST" && parts[3] === "releases" && parts.length === 4) {
    return route("releases.create", (ctx) => {
      const body = parseJsonBody(ctx);
      if (!isPlainObject(body)) throw new EmulatorError(400, "request body must be a JSON object");
      if (typeof body.app_name !== "string" || body.app_name === "")
        throw new EmulatorError(422, "app_name is required");
      if (typeof body.image !== "string" || body.image === "")
        throw new EmulatorError(422, "image is required");
      if (typeof body.strategy !== "string" || body.strategy === "")
        throw new EmulatorError(422, "strategy is required");
      if (body.definition === undefined) throw new EmulatorError(422, "definition is required");
      const buildId = body.build_id;
      if (
        buildId !== undefined &&
        buildId !== null &&
        typeof buildId !== "number" &&
        typeof buildId !== "string"
      ) {
        throw new EmulatorError(422, "build_id must be a number");
      }
      const release = state.createRelease(body.app_name, {
        image: body.image,
        strategy: body.strategy,
        definition: body.definition,
        buildId: buildId === undefined || buildId === null ? null : String(buildId),
        userEmail: ctx.user,
      });
      sendJson(ctx.res, 201, { release: restReleaseJson(release) });
    });
  }
  // PATCH /api/v1/releases/{release_id}
  if (method === "PATCH" && parts[3] === "releases" && parts[4] && parts.length === 5) {
    const id = parts[4];
    return route("releases.update", (ctx) => {
      const body = parseJsonBody(ctx);
      if (!isPlainObject(body)) throw new EmulatorError(400, "request body must be a JSON object");
      const status = body.status ?? null;
      if (status !== null && (typeof status !== "string" || !RELEASE_STATUSES.has(status))) {
        throw new EmulatorError(422, `invalid status ${JSON.stringify(status)}`);
      }
      const metadata = body.metadata ?? null;
      if (metadata !== null && !isPlainObject(metadata))
        throw new EmulatorError(422, "metadata must be an object or null");
      sendJson(ctx.res, 200, restReleaseJson(state.updateRelease(id, status, metadata)));
    });
  }
  // GET /api/v1/apps/{app}/releases[/current]
  if (method === "GET" && parts[3] === "apps" && parts[4] && parts[5] === "releases") {
    const appName = parts[4];
    if (parts.length === 6) {
      return route("releases.list", (ctx) => {
        const limitText = ctx.url.searchParams.get("limit");
        const limit = limitText === null ? DEFAULT_LIST_LIMIT : Number.parseInt(limitText, 10);
        if (!Number.isFinite(limit) || limit < 1)
          throw new EmulatorError(400, "limit must be a positive integer");
        const app = state.app(appName);
        const newest = app.releases.slice(-Math.min(limit, MAX_LIST_LIMIT)).reverse();
        sendJson(ctx.res, 200, { releases: newest.map(restReleaseJson) });
      });
    }
    if (parts.length === 7 && parts[6] === "current") {
      return route("releases.current", (ctx) => {
        const release = currentRelease(state.app(appName));
        if (!release) throw new EmulatorError(404, "no current release", "not_found");
        sendJson(ctx.res, 200, restReleaseJson(release));
      });
    }
  }
  return null;
}
