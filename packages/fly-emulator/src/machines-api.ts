import { parseJsonBody, type RequestContext, type Route, sendEmpty, sendJson } from "./http.js";
import {
  configuredChecks,
  incompleteConfigOf,
  looksLikeIncompleteConfig,
} from "./machine-config.js";
import {
  type AppRecord,
  type CheckStatusJson,
  currentMachineVersion,
  type LeaseJson,
  type LeaseRecord,
  type MachineConfigJson,
  type MachineJson,
  type MachineRecord,
  type MachineVersionRecord,
} from "./model.js";
import { DEFAULT_LEASE_TTL_SECONDS, EmulatorError, type EmulatorState } from "./state.js";
import { isPlainObject } from "./util.js";

/** fly-go's `flaps.NonceHeader`. */
export const LEASE_NONCE_HEADER = "fly-machine-lease-nonce";

const WAIT_STATES = new Set(["started", "stopped", "suspended", "destroyed", "failed", "settled"]);
const SETTLED_STATES = new Set(["started", "stopped", "suspended", "failed"]);
const MAX_WAIT_SECONDS = 60;
const CURSOR_LIFETIME_MS = 30 * 60_000;

export function leaseJson(lease: LeaseRecord): LeaseJson {
  return {
    nonce: lease.nonce,
    expires_at: lease.expiresAt,
    owner: lease.owner,
    description: lease.description,
    version: lease.version,
  };
}

/**
 * A `Machine` as the Machines API returns it; `version` picks a historical config (state `replaced`).
 * On an unreachable host: `incomplete_config` instead of `config`, an empty `image_ref` (flyctl's
 * bluegreen treats that as the sign), no checks. flaps' compat checks are added for a started machine
 * with checks when the app asks for them.
 */
export function machineJson(
  state: EmulatorState,
  machine: MachineRecord,
  options: {
    summary?: boolean;
    includeLease?: boolean;
    version?: MachineVersionRecord;
    nonce?: string;
  } = {},
): MachineJson {
  const current = currentMachineVersion(machine);
  const shown = options.version ?? current;
  const reachable = machine.hostStatus === "ok";
  const json: MachineJson = {
    id: machine.id,
    name: machine.name,
    state: shown === current ? machine.state : "replaced",
    region: machine.region,
    image_ref: reachable
      ? structuredClone(shown.imageRef)
      : { registry: "", repository: "", tag: "", digest: "", labels: {} },
    instance_id: shown.version,
    version: shown.version,
    private_ip: machine.privateIp,
    created_at: machine.createdAt,
    updated_at: shown === current ? machine.updatedAt : shown.createdAt,
    host_status: machine.hostStatus,
    cordoned: machine.cordoned,
  };
  if (!options.summary) {
    if (reachable) json.config = structuredClone(shown.config);
    else json.incomplete_config = incompleteConfigOf(shown.config);
    json.events = structuredClone(machine.events);
    json.checks = shown === current && reachable ? runtimeChecks(state, machine) : [];
  }
  if (options.nonce) json.nonce = options.nonce;
  const lease = options.includeLease ? state.activeLease(machine) : null;
  if (lease) json.lease = leaseJson(lease);
  return json;
}

/** The machine's check results, with flaps' `bg_deployments_compat*` entries first when the app has them. */
function runtimeChecks(state: EmulatorState, machine: MachineRecord): CheckStatusJson[] {
  const checks = structuredClone(machine.checks);
  const app = state.apps.get(machine.appName);
  const compat = app?.compatChecks;
  if (!app || !compat || machine.state !== "started") return checks;
  if (configuredChecks(currentMachineVersion(machine).config, app.defaultCheck).length === 0)
    return checks;
  const fake = compat.names.map((name) => ({
    name,
    status: compat.status,
    output: "",
    updated_at: machine.updatedAt,
  }));
  return [...fake, ...checks];
}

/**
 * flaps cannot reach flyd on an unreachable host, so leases, changes and waits fail with 503 (our
 * choice; the sources only say flyctl never tries). Noted in the request log either way.
 */
function requireReachable(ctx: RequestContext, machine: MachineRecord): void {
  if (machine.hostStatus !== "unreachable") return;
  ctx.notes.push("host_unreachable");
  throw new EmulatorError(
    503,
    `machine ${machine.id} is on an unreachable host: try again later or replace it`,
    "host_unreachable",
  );
}

/** Mutations on a destroyed machine find nothing (flyctl treats the 404 as "gone"). */
function requireAlive(machine: MachineRecord): void {
  if (machine.state === "destroyed") throw new EmulatorError(404, "machine not found", "not_found");
}

function flag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  return value === "" || value === "true" || value === "1";
}

/**
 * fly-go sends the lease nonce in `fly-machine-lease-nonce` on update, start, stop, lease refresh and
 * release (and flyctl on metadata writes); while another holder's unexpired lease exists the API
 * refuses the mutation with 409, which fly-go's lease acquisition retries with backoff (≤ 1 min).
 */
function requireLease(state: EmulatorState, ctx: RequestContext, machine: MachineRecord): void {
  const lease = state.activeLease(machine);
  if (!lease) return;
  const nonce = ctx.req.headers[LEASE_NONCE_HEADER];
  if (nonce === lease.nonce) return;
  throw new EmulatorError(
    409,
    `machine ${machine.id} is leased by ${lease.owner} until ${new Date(lease.expiresAt * 1000).toISOString()}: ` +
      (nonce ? "lease nonce does not match" : `missing ${LEASE_NONCE_HEADER} header`),
    "lease_held",
  );
}

function encodeCursor(id: string, issuedAt: number): string {
  return Buffer.from(JSON.stringify({ after: id, at: issuedAt })).toString("base64url");
}

function decodeCursor(state: EmulatorState, cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as {
      after?: unknown;
      at?: unknown;
    };
    if (typeof parsed.after === "string" && typeof parsed.at === "number") {
      if (state.now() - parsed.at > CURSOR_LIFETIME_MS)
        throw new EmulatorError(400, "cursor expired");
      return parsed.after;
    }
  } catch (error) {
    if (error instanceof EmulatorError) throw error;
  }
  throw new EmulatorError(400, "invalid cursor");
}

function listMachines(state: EmulatorState, ctx: RequestContext, app: AppRecord): void {
  const query = ctx.url.searchParams;
  const includeDeleted = flag(ctx.url, "include_deleted");
  const region = query.get("region");
  const states = query
    .getAll("state")
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
  const metadataFilters: Array<[string, string]> = [];
  for (const [key, value] of query) {
    if (key.startsWith("metadata.")) metadataFilters.push([key.slice("metadata.".length), value]);
  }
  let machines = [...app.machines.values()]
    .filter((m) => includeDeleted || m.state !== "destroyed")
    .filter((m) => !region || m.region === region)
    .filter((m) => states.length === 0 || states.includes(m.state))
    .filter((m) => {
      const metadata = currentMachineVersion(m).config.metadata ?? {};
      return metadataFilters.every(([key, value]) => metadata[key] === value);
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const headers: Record<string, string> = {};
  const cursor = query.get("cursor");
  if (cursor) {
    const after = decodeCursor(state, cursor);
    machines = machines.filter((m) => m.id > after);
  }
  const limitText = query.get("limit");
  if (limitText !== null) {
    const limit = Number.parseInt(limitText, 10);
    if (!Number.isFinite(limit) || limit < 1)
      throw new EmulatorError(400, "limit must be a positive integer");
    // The spec calls limit advisory (1–1000); larger values are clamped.
    const page = Math.min(limit, 1000);
    if (machines.length > page) {
      machines = machines.slice(0, page);
      const last = machines[machines.length - 1];
      if (last) headers["fly-next-cursor"] = encodeCursor(last.id, state.now());
    }
  }
  const summary = flag(ctx.url, "summary");
  const includeLease = flag(ctx.url, "include_leases");
  sendJson(
    ctx.res,
    200,
    machines.map((m) => machineJson(state, m, { summary, includeLease })),
    headers,
  );
}

function getMachine(state: EmulatorState, ctx: RequestContext, machine: MachineRecord): void {
  const wanted = ctx.url.searchParams.get("version");
  let version: MachineVersionRecord | undefined;
  if (wanted) {
    version = machine.versions.find((v) => v.version === wanted);
    if (!version) throw new EmulatorError(404, "machine version not found", "not_found");
  }
  sendJson(
    ctx.res,
    200,
    machineJson(state, machine, { version, includeLease: flag(ctx.url, "include_leases") }),
  );
}

function updateMachine(
  state: EmulatorState,
  ctx: RequestContext,
  app: AppRecord,
  machine: MachineRecord,
): void {
  const body = parseJsonBody(ctx);
  if (!isPlainObject(body)) throw new EmulatorError(400, "request body must be a JSON object");
  const config = body.config;
  if (!isPlainObject(config)) throw new EmulatorError(400, "config is required");
  if (typeof config.image !== "string" || config.image.trim() === "") {
    throw new EmulatorError(400, "config.image is required");
  }
  if (config.metadata !== undefined && config.metadata !== null && !isStringMap(config.metadata)) {
    throw new EmulatorError(400, "config.metadata must map strings to strings");
  }
  for (const key of ["region", "name", "current_version"] as const) {
    if (body[key] !== undefined && typeof body[key] !== "string")
      throw new EmulatorError(400, `${key} must be a string`);
  }
  requireAlive(machine);
  const current = currentMachineVersion(machine);
  if (looksLikeIncompleteConfig(config as MachineConfigJson, current.config)) {
    ctx.notes.push("config_from_incomplete_config");
  }
  requireReachable(ctx, machine);
  requireLease(state, ctx, machine);
  if (
    typeof body.current_version === "string" &&
    body.current_version !== "" &&
    body.current_version !== current.version
  ) {
    throw new EmulatorError(
      409,
      `machine ${machine.id} is at version ${current.version}, not ${body.current_version}`,
      "conflict",
    );
  }
  let nonce: string | undefined;
  if (typeof body.lease_ttl === "number" && body.lease_ttl > 0 && !state.activeLease(machine)) {
    nonce = state.holdLease(app.name, machine.id, {
      owner: ctx.user ?? "",
      ttlSeconds: body.lease_ttl,
    }).nonce;
  }
  state.lifecycle.update(app.name, machine, config as MachineConfigJson, {
    skipLaunch: body.skip_launch === true,
    region: typeof body.region === "string" && body.region !== "" ? body.region : undefined,
    name: typeof body.name === "string" && body.name !== "" ? body.name : undefined,
  });
  sendJson(ctx.res, 200, machineJson(state, machine, { nonce }));
}

/** `POST /apps/{app}/machines` (doc.json `CreateMachineRequest`). */
function createMachine(state: EmulatorState, ctx: RequestContext, app: AppRecord): void {
  const body = parseJsonBody(ctx);
  if (!isPlainObject(body)) throw new EmulatorError(400, "request body must be a JSON object");
  const config = body.config;
  if (!isPlainObject(config)) throw new EmulatorError(400, "config is required");
  if (typeof config.image !== "string" || config.image.trim() === "") {
    throw new EmulatorError(400, "config.image is required");
  }
  if (config.metadata !== undefined && config.metadata !== null && !isStringMap(config.metadata)) {
    throw new EmulatorError(400, "config.metadata must map strings to strings");
  }
  for (const key of ["region", "name"] as const) {
    if (body[key] !== undefined && typeof body[key] !== "string")
      throw new EmulatorError(400, `${key} must be a string`);
  }
  for (const key of ["skip_launch", "skip_service_registration"] as const) {
    if (body[key] !== undefined && typeof body[key] !== "boolean")
      throw new EmulatorError(400, `${key} must be a boolean`);
  }
  if (
    body.lease_ttl !== undefined &&
    (!Number.isInteger(body.lease_ttl) || (body.lease_ttl as number) < 0)
  )
    throw new EmulatorError(400, "lease_ttl must be a whole number of seconds");
  const machine = state.lifecycle.create(app.name, {
    config: config as MachineConfigJson,
    region: typeof body.region === "string" ? body.region : undefined,
    name: typeof body.name === "string" ? body.name : undefined,
    skipLaunch: body.skip_launch === true,
    skipServiceRegistration: body.skip_service_registration === true,
  });
  let nonce: string | undefined;
  if (typeof body.lease_ttl === "number" && body.lease_ttl > 0) {
    nonce = state.holdLease(app.name, machine.id, {
      owner: ctx.user ?? "",
      ttlSeconds: body.lease_ttl,
    }).nonce;
  }
  sendJson(ctx.res, 200, machineJson(state, machine, { nonce }));
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isPlainObject(value) && Object.values(value).every((v) => typeof v === "string");
}

async function waitForState(
  state: EmulatorState,
  ctx: RequestContext,
  machine: MachineRecord,
): Promise<void> {
  const query = ctx.url.searchParams;
  const wanted = (query.getAll("state").length > 0 ? query.getAll("state") : ["started"])
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = wanted.filter((s) => !WAIT_STATES.has(s));
  if (wanted.length === 0 || bad.length > 0) {
    throw new EmulatorError(
      400,
      `invalid state ${JSON.stringify(bad.join(","))}: expected one of ${[...WAIT_STATES].join(", ")}`,
    );
  }
  const timeoutText = query.get("timeout");
  let timeoutSeconds = MAX_WAIT_SECONDS;
  if (timeoutText !== null) {
    timeoutSeconds = Number(timeoutText);
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) {
      throw new EmulatorError(400, "timeout must be a whole number of seconds");
    }
    timeoutSeconds = Math.min(timeoutSeconds, MAX_WAIT_SECONDS);
  }
  // fly-go sends `version`; the 2024 spec names it `instance_id` (now a deprecated alias).
  const version = query.get("version") || query.get("instance_id") || null;
  if (version && !machine.versions.some((v) => v.version === version)) {
    throw new EmulatorError(404, "machine version not found", "not_found");
  }
  const reached = () =>
    (!version || currentMachineVersion(machine).version === version) &&
    wanted.some(
      (s) => s === machine.state || (s === "settled" && SETTLED_STATES.has(machine.state)),
    );
  // A destroyed machine can no longer reach any other state: flaps answers 404, which flyctl reads
  // as "it exited and was destroyed" (release command machines).
  const gone = () => machine.state === "destroyed" && !wanted.includes("destroyed");
  if (gone()) throw new EmulatorError(404, "machine not found", "not_found");
  if (!reached()) {
    const outcome = await new Promise<"reached" | "timeout" | "aborted" | "gone">((resolve) => {
      const onChange = (changed: MachineRecord) => {
        if (changed === machine && reached()) done("reached");
        else if (changed === machine && gone()) done("gone");
      };
      const onClose = () => done("aborted");
      const timer = setTimeout(() => done("timeout"), timeoutSeconds * 1000);
      const done = (result: "reached" | "timeout" | "aborted" | "gone") => {
        clearTimeout(timer);
        state.changes.off("machine", onChange);
        state.changes.off("close", onClose);
        resolve(result);
      };
      state.changes.on("machine", onChange);
      state.changes.on("close", onClose);
      void ctx.aborted.then(() => done("aborted"));
    });
    if (outcome === "aborted") return;
    if (outcome === "gone") throw new EmulatorError(404, "machine not found", "not_found");
    if (outcome === "timeout") {
      throw new EmulatorError(
        408,
        `timed out waiting for machine ${machine.id} to be ${wanted.join(" or ")}`,
      );
    }
  }
  sendJson(ctx.res, 200, { ok: true });
}

function acquireLease(
  state: EmulatorState,
  ctx: RequestContext,
  app: AppRecord,
  machine: MachineRecord,
): void {
  const body = parseJsonBody(ctx);
  if (body !== undefined && !isPlainObject(body))
    throw new EmulatorError(400, "request body must be a JSON object");
  const ttlValue = body?.ttl ?? ctx.url.searchParams.get("ttl") ?? undefined;
  let ttl: number | undefined;
  if (ttlValue !== undefined && ttlValue !== null && ttlValue !== "") {
    ttl = Number(ttlValue);
    if (!Number.isInteger(ttl) || ttl <= 0)
      throw new EmulatorError(400, "ttl must be a positive whole number of seconds");
  }
  const description = typeof body?.description === "string" ? body.description : "";
  const nonce = ctx.req.headers[LEASE_NONCE_HEADER];
  const held = state.activeLease(machine);
  if (held) {
    if (nonce !== held.nonce) {
      throw new EmulatorError(
        409,
        `machine ${machine.id} is already leased by ${held.owner} until ${new Date(held.expiresAt * 1000).toISOString()}`,
        "lease_held",
      );
    }
    // Refresh: same lease, new expiry.
    held.expiresAt = Math.floor(state.now() / 1000) + (ttl ?? DEFAULT_LEASE_TTL_SECONDS);
    if (description) held.description = description;
    sendJson(ctx.res, 200, { status: "success", data: leaseJson(held) });
    return;
  }
  const lease = state.holdLease(app.name, machine.id, {
    owner: ctx.user ?? "",
    ttlSeconds: ttl,
    description,
  });
  sendJson(ctx.res, 201, { status: "success", data: leaseJson(lease) });
}

function releaseLease(state: EmulatorState, ctx: RequestContext, machine: MachineRecord): void {
  const held = state.activeLease(machine);
  if (!held) throw new EmulatorError(404, "lease not found", "not_found");
  requireLease(state, ctx, machine);
  machine.lease = null;
  sendJson(ctx.res, 200, { status: "success", data: { ok: true } });
}

function setMetadata(
  state: EmulatorState,
  machine: MachineRecord,
  change: (metadata: Record<string, string>) => void,
): void {
  // Metadata writes edit the current config in place; they do not create a new machine version.
  const current = currentMachineVersion(machine);
  const metadata = { ...(current.config.metadata ?? {}) };
  change(metadata);
  current.config.metadata = metadata;
  state.setMachineState(machine, machine.state);
}

type Handler = (
  state: EmulatorState,
  ctx: RequestContext,
  app: AppRecord,
  machine: MachineRecord,
) => Promise<void> | void;

interface MachineRouteSpec {
  operation: string;
  mutating: boolean;
  handler: Handler;
}

function machineRoute(
  method: string,
  action: string,
  key: string | undefined,
): MachineRouteSpec | null {
  const route = (operation: string, handler: Handler): MachineRouteSpec => ({
    operation,
    mutating: method !== "GET",
    handler,
  });
  if (key !== undefined) {
    if (action !== "metadata") return null;
    if (method === "GET") {
      return route("machines.metadata.getKey", (_s, ctx, _a, m) => {
        const value = currentMachineVersion(m).config.metadata?.[key];
        if (value === undefined)
          throw new EmulatorError(404, `metadata key ${key} not found`, "not_found");
        sendJson(ctx.res, 200, { value });
      });
    }
    if (method === "POST") {
      return route("machines.metadata.setKey", (s, ctx, _a, m) => {
        const body = parseJsonBody(ctx);
        if (!isPlainObject(body) || typeof body.value !== "string") {
          throw new EmulatorError(400, 'request body must be {"value": "<string>"}');
        }
        requireLease(s, ctx, m);
        const value = body.value;
        setMetadata(s, m, (metadata) => {
          metadata[key] = value;
        });
        sendEmpty(ctx.res, 204);
      });
    }
    if (method === "DELETE") {
      return route("machines.metadata.deleteKey", (s, ctx, _a, m) => {
        requireLease(s, ctx, m);
        setMetadata(s, m, (metadata) => {
          delete metadata[key];
        });
        sendEmpty(ctx.res, 204);
      });
    }
    return null;
  }
  switch (`${method} ${action}`) {
    case "GET ":
      return route("machines.get", (s, ctx, _a, m) => getMachine(s, ctx, m));
    case "POST ":
      return route("machines.update", (s, ctx, a, m) => updateMachine(s, ctx, a, m));
    case "POST start":
      return route("machines.start", (s, ctx, a, m) => {
        requireLease(s, ctx, m);
        const previous = s.lifecycle.start(a.name, m);
        sendJson(ctx.res, 200, { previous_state: previous, migrated: false, new_host: "" });
      });
    case "POST stop":
      return route("machines.stop", (s, ctx, _a, m) => {
        const body = parseJsonBody(ctx);
        if (body !== undefined && !isPlainObject(body))
          throw new EmulatorError(400, "request body must be a JSON object");
        requireLease(s, ctx, m);
        // The docs' Stop example: a machine that is not running answers 409.
        if (["stopped", "suspended", "created", "failed"].includes(m.state)) {
          throw new EmulatorError(409, "unable to stop machine, not currently started");
        }
        if (m.state !== "stopping") s.lifecycle.stop(m);
        sendJson(ctx.res, 200, { ok: true });
      });
    case "DELETE ":
      return route("machines.destroy", (s, ctx, _a, m) => {
        const force = flag(ctx.url, "force") || flag(ctx.url, "kill");
        // A machine on a dead host can only be destroyed by force (how it gets replaced).
        if (!force) requireReachable(ctx, m);
        requireLease(s, ctx, m);
        s.lifecycle.destroy(m, force);
        sendJson(ctx.res, 200, { ok: true });
      });
    case "POST suspend":
      return route("machines.suspend", (s, ctx, _a, m) => {
        requireLease(s, ctx, m);
        s.lifecycle.suspend(m);
        sendJson(ctx.res, 200, { ok: true });
      });
    case "POST cordon":
    case "POST uncordon":
      return route(`machines.${action}`, (s, ctx, _a, m) => {
        requireLease(s, ctx, m);
        s.lifecycle.setCordoned(m, action === "cordon");
        sendJson(ctx.res, 200, { ok: true });
      });
    case "GET wait":
      return route("machines.wait", (s, ctx, _a, m) => waitForState(s, ctx, m));
    case "GET versions":
      return route("machines.versions", (_s, ctx, _a, m) =>
        sendJson(
          ctx.res,
          200,
          [...m.versions].reverse().map((v) => ({ version: v.version, user_config: v.config })),
        ),
      );
    case "GET events":
      return route("machines.events", (_s, ctx, _a, m) => {
        const limitText = ctx.url.searchParams.get("limit");
        const limit = limitText === null ? m.events.length : Number.parseInt(limitText, 10);
        if (!Number.isFinite(limit) || limit < 1)
          throw new EmulatorError(400, "limit must be a positive integer");
        sendJson(ctx.res, 200, m.events.slice(0, limit));
      });
    case "GET lease":
      return route("machines.lease.get", (s, ctx, _a, m) => {
        const lease = s.activeLease(m);
        if (!lease) throw new EmulatorError(404, "lease not found", "not_found");
        sendJson(ctx.res, 200, { status: "success", data: leaseJson(lease) });
      });
    case "POST lease":
      return route("machines.lease.acquire", (s, ctx, a, m) => acquireLease(s, ctx, a, m));
    case "DELETE lease":
      return route("machines.lease.release", (s, ctx, _a, m) => releaseLease(s, ctx, m));
    case "GET metadata":
      return route("machines.metadata.get", (_s, ctx, _a, m) =>
        sendJson(ctx.res, 200, currentMachineVersion(m).config.metadata ?? {}),
      );
    case "PATCH metadata":
    case "PUT metadata":
      return route("machines.metadata.patch", (s, ctx, _a, m) => {
        const body = parseJsonBody(ctx);
        if (!isPlainObject(body) || !isPlainObject(body.metadata)) {
          throw new EmulatorError(400, 'request body must be {"metadata": {...}}');
        }
        const changes = body.metadata;
        if (!Object.values(changes).every((v) => v === null || typeof v === "string")) {
          throw new EmulatorError(400, "metadata values must be strings or null");
        }
        requireLease(s, ctx, m);
        if (
          typeof body.machine_version === "string" &&
          body.machine_version !== currentMachineVersion(m).version
        ) {
          throw new EmulatorError(
            412,
            "machine_version does not match the machine's current version",
          );
        }
        // Merge: keys not named stay; null or "" deletes.
        setMetadata(s, m, (metadata) => {
          for (const [k, v] of Object.entries(changes)) {
            if (v === null || v === "") delete metadata[k];
            else metadata[k] = v as string;
          }
        });
        sendEmpty(ctx.res, 204);
      });
    default:
      return null;
  }
}

/** Routes `/v1/apps/{app}/machines…`; null when the path is not a Machines API path we serve. */
export function routeMachines(
  state: EmulatorState,
  method: string,
  pathname: string,
): Route | null {
  const parts = pathname.split("/").map((p) => decodeURIComponent(p));
  // ["", "v1", "apps", app, "machines", id?, action?, key?]
  if (parts[1] !== "v1" || parts[2] !== "apps" || parts[4] !== "machines" || !parts[3]) return null;
  const appName = parts[3];
  const id = parts[5];
  if (parts.length > 8) return null;
  if (id === undefined || id === "") {
    if (parts.length > 6) return null;
    if (method === "POST") {
      return {
        service: "machines",
        operation: "machines.create",
        mutating: true,
        rateLimitKey: `${appName}:machines.create`,
        handle: (ctx) => createMachine(state, ctx, state.app(appName)),
      };
    }
    if (method !== "GET") return null;
    return {
      service: "machines",
      operation: "machines.list",
      mutating: false,
      rateLimitKey: `${appName}:machines.list`,
      handle: (ctx) => listMachines(state, ctx, state.app(appName)),
    };
  }
  const spec = machineRoute(method, parts[6] ?? "", parts[7]);
  if (!spec) return null;
  return {
    service: "machines",
    operation: spec.operation,
    mutating: spec.mutating,
    rateLimitKey: `${appName}:${id}:${spec.operation}`,
    rateLimitClass: spec.operation === "machines.get" ? "get" : "default",
    handle: (ctx) => {
      const app = state.app(appName);
      const machine = state.machine(appName, id);
      // Update and destroy decide for themselves (they note or allow more first).
      const own = spec.operation === "machines.update" || spec.operation === "machines.destroy";
      if (!own && (spec.mutating || spec.operation === "machines.wait")) {
        requireReachable(ctx, machine);
        if (spec.mutating && !spec.operation.startsWith("machines.lease")) requireAlive(machine);
      }
      return spec.handler(state, ctx, app, machine);
    },
  };
}
