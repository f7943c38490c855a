import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { routeAppProxy } from "./app-proxy.js";
import { appVolumes, routeVolumes, setSecret, unsetSecret } from "./app-storage.js";
import { type FaultAction, FaultInjector, type Faults } from "./faults.js";
import { routeGraphql } from "./graphql-api.js";
import { type RequestContext, type Route, readBody, sendError, sendJson } from "./http.js";
import { ulid } from "./ids.js";
import { leaseJson, machineJson, routeMachines } from "./machines-api.js";
import { routeMetrics } from "./metrics-api.js";
import type {
  CheckStatusJson,
  HostStatus,
  ImageRecord,
  LeaseJson,
  MachineEventJson,
  MachineJson,
  ReleaseRecord,
  RestReleaseJson,
  Service,
} from "./model.js";
import { OCI_PATH_PREFIX, OciRegistry } from "./oci-registry.js";
import { deriveSeed, Rng } from "./random.js";
import { FLY_RATE_LIMITS, type RateLimitConfig, RateLimiter } from "./rate-limit.js";
import { restReleaseJson, routeReleases } from "./releases-api.js";
import {
  type ImageSpec,
  loadScenario,
  type MachineSpec,
  type ReleaseSpec,
  type Scenario,
  ScenarioBuilder,
} from "./scenario.js";
import { EmulatorError, EmulatorState } from "./state.js";
import { type AppTraffic, type ImageTraffic, TrafficModel } from "./traffic.js";
import { iso, sleep } from "./util.js";

export interface EmulatorOptions {
  /** A scenario, a builder, or the name of a bundled scenario (`demo`). Default: `demo`. */
  scenario?: Scenario | ScenarioBuilder | string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Fixed latency added to every request (same as `faults.latencyMs`). */
  latencyMs?: number;
  /** How long a machine takes from `replacing`/`starting` to `started` (default 300 ms). */
  bootTimeMs?: number;
  /** How long after `started` the checks report (default 500 ms). */
  checkDelayMs?: number;
  /** How long `stopping` (and `suspending`, `destroying`) takes (default: half the boot time). */
  stopTimeMs?: number;
  /** How long resuming a `suspended` machine takes (default: a third of the boot time). */
  resumeTimeMs?: number;
  /** How long a release command machine runs before it exits (default: the boot time). */
  runTimeMs?: number;
  /** How long a crash-looping image stays up after each start (default: the boot time). */
  crashAfterMs?: number;
  /** How long flyd waits before restarting a crashed machine (default: a fifth of the boot time). */
  restartDelayMs?: number;
  /** Machines API rate limits: on (Fly's documented limits, the default), off, or custom. */
  rateLimits?: boolean | Partial<RateLimitConfig>;
  faults?: Faults;
  /** Seeds ids, fault draws and jitter. Default: the scenario's seed, else random. */
  seed?: number;
  /** Keep at most this many request log entries (oldest dropped first; default 50 000). */
  requestLogLimit?: number;
}

export interface RequestLogEntry {
  /** When the request arrived (RFC 3339 with milliseconds). */
  at: string;
  method: string;
  /** The path without the query string. */
  path: string;
  /** The query string, with its `?`, or "". */
  query: string;
  service: Service | "other";
  /** GraphQL operation name, or a route name like `machines.update`. */
  operation: string;
  /** Every non-GET Machines/REST call, and GraphQL `mutation` operations. */
  mutating: boolean;
  /** HTTP status sent; 0 when the connection was dropped or the client went away. */
  status: number;
  requestId: string;
  durationMs: number;
  /** The injected fault, if one fired: `status:503`, `drop`, `delay:200`. */
  fault?: string;
  /**
   * What the emulator noticed about a Machines API request, whether or not it succeeded:
   * `host_unreachable` (a lease, change or wait aimed at a machine on an unreachable host),
   * `config_from_incomplete_config` (an update whose config is a machine's `incomplete_config`).
   */
  notes?: string[];
}

export interface EmulatorCounters {
  requests: number;
  /** 429 responses sent (rate limiter and injected). */
  rateLimited: number;
  /** Injected faults that fired. */
  faults: number;
  dropped: number;
  byStatus: Record<string, number>;
}

export interface EmulatorEnv {
  FLY_API_BASE_URL: string;
  FLY_FLAPS_BASE_URL: string;
  FLY_UIEX_BASE_URL: string;
  /** flyctl's override for Fly's Prometheus API base. */
  FLY_METRICS_BASE_URL: string;
  FLY_API_TOKEN: string;
  FLY_APP: string;
  /** semfly's own override: registry calls go to `{SEMFLY_REGISTRY_URL}/<registry host>/v2/…`. */
  SEMFLY_REGISTRY_URL: string;
}

export interface LeaseInfo extends LeaseJson {
  app: string;
  machineId: string;
}

/** A running emulator: one HTTP server for Fly's GraphQL API, Machines API and release REST API. */
export class Emulator {
  readonly url: string;
  readonly port: number;
  readonly env: EmulatorEnv;
  /** The first accepted token of the scenario. */
  readonly token: string;
  readonly seed: number;
  readonly scenarioName: string;
  private readonly log: RequestLogEntry[] = [];
  private readonly liveCounters: EmulatorCounters = {
    requests: 0,
    rateLimited: 0,
    faults: 0,
    dropped: 0,
    byStatus: {},
  };
  private readonly requestIds: Rng;
  private closed = false;

  /** @internal use `startEmulator()`. */
  constructor(
    private readonly server: Server,
    private readonly state: EmulatorState,
    private readonly faultInjector: FaultInjector,
    private readonly limiter: RateLimiter,
    private readonly options: { requestLogLimit: number; scenarioName: string },
  ) {
    const address = server.address() as AddressInfo;
    this.port = address.port;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${address.port}`;
    this.seed = state.seed;
    this.scenarioName = options.scenarioName;
    this.requestIds = new Rng(deriveSeed(state.seed, "request-ids"));
    const token = state.tokens.keys().next().value;
    if (!token) throw new Error("the scenario accepts no token");
    this.token = token;
    const firstApp = state.apps.keys().next().value ?? "";
    this.traffic = new TrafficModel(state);
    this.env = {
      FLY_API_BASE_URL: this.url,
      FLY_FLAPS_BASE_URL: this.url,
      FLY_UIEX_BASE_URL: this.url,
      FLY_METRICS_BASE_URL: this.url,
      FLY_API_TOKEN: this.token,
      FLY_APP: firstApp,
      SEMFLY_REGISTRY_URL: `${this.url}${OCI_PATH_PREFIX.slice(0, -1)}`,
    };
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendError(res, 500, `emulator error: ${String(error)}`);
      });
    });
  }

  /** Synthetic traffic behind the metrics API and the app proxy (see traffic.ts). */
  private readonly traffic: TrafficModel;

  /** How machines running an image answer: their 5xx share and what a probe gets. */
  setImageTraffic(refOrDigest: string, traffic: ImageTraffic): void {
    this.traffic.setImage(refOrDigest, traffic);
  }

  /** An app's request rate and how long its series take to appear after a machine starts. */
  setAppTraffic(app: string, traffic: AppTraffic): void {
    this.state.app(app);
    this.traffic.setApp(app, traffic);
  }

  /** The app's public URL through the emulated proxy (`https://<app>.fly.dev` on Fly). */
  appUrl(app: string, path = "/"): string {
    return `${this.url}/__apps/${encodeURIComponent(app)}${path.startsWith("/") ? path : `/${path}`}`;
  }

  // ------------------------------------------------------------------ reading state

  /** App names. */
  apps(): string[] {
    return [...this.state.apps.keys()];
  }

  /** The app's machines as the Machines API shows them (copies). */
  machines(app: string): MachineJson[] {
    return [...this.state.app(app).machines.values()].map((m) =>
      machineJson(this.state, m, { includeLease: true }),
    );
  }

  machine(app: string, id: string): MachineJson {
    return machineJson(this.state, this.state.machine(app, id), { includeLease: true });
  }

  /** The machine's config versions, oldest first. */
  machineVersions(
    app: string,
    id: string,
  ): Array<{ version: string; config: MachineJson["config"] }> {
    return this.state
      .machine(app, id)
      .versions.map((v) => ({ version: v.version, config: structuredClone(v.config) }));
  }

  /** The app's releases, oldest first (copies). */
  releases(app: string): ReleaseRecord[] {
    return structuredClone(this.state.app(app).releases);
  }

  /** A release as the REST API shows it. */
  release(app: string, version: number): RestReleaseJson | null {
    const release = this.state.releaseByVersion(this.state.app(app), version);
    return release ? restReleaseJson(release) : null;
  }

  /** The OCI registries: add or prune images, set how `app.image` answers digest refs. */
  get registry(): OciRegistry {
    return this.state.oci as OciRegistry;
  }

  /** The app's registry table (copies). */
  images(app: string): ImageRecord[] {
    return structuredClone(this.state.app(app).images);
  }

  /** Unexpired leases, of one app or all apps. */
  leases(app?: string): LeaseInfo[] {
    const out: LeaseInfo[] = [];
    for (const record of this.state.apps.values()) {
      if (app && record.name !== app) continue;
      for (const machine of record.machines.values()) {
        const lease = this.state.activeLease(machine);
        if (lease) out.push({ app: record.name, machineId: machine.id, ...leaseJson(lease) });
      }
    }
    return out;
  }

  /** Everything, as JSON (also served at `GET /__emulator/state`). */
  snapshot(): unknown {
    return {
      seed: this.seed,
      scenario: this.scenarioName,
      url: this.url,
      now: iso(this.state.now()),
      faults: this.faultInjector.get(),
      rateLimits: this.limiter.config,
      counters: this.counters,
      apps: [...this.state.apps.values()].map((app) => ({
        name: app.name,
        organization: app.organization,
        images: app.images,
        releases: app.releases.map(restReleaseJson),
        machines: [...app.machines.values()].map((m) =>
          machineJson(this.state, m, { includeLease: true }),
        ),
      })),
    };
  }

  // ------------------------------------------------------------------ request log

  /** Every request so far (copies), oldest first. */
  get requestLog(): RequestLogEntry[] {
    return this.log.map((entry) => ({
      ...entry,
      ...(entry.notes ? { notes: [...entry.notes] } : {}),
    }));
  }

  mutatingRequests(): RequestLogEntry[] {
    return this.requestLog.filter((entry) => entry.mutating);
  }

  clearRequestLog(): void {
    this.log.length = 0;
  }

  get counters(): EmulatorCounters {
    return { ...this.liveCounters, byStatus: { ...this.liveCounters.byStatus } };
  }

  // ------------------------------------------------------------------ control

  /**
   * Replaces the request fault rules and latency, and applies `badImages`, `neverStartImages` and
   * `heldLeases` (those are state: later calls add to them; undo with `markImageBad(ref, false)` etc.).
   */
  setFaults(faults: Faults): void {
    this.faultInjector.set(faults);
    for (const ref of faults.badImages ?? []) this.markImageBad(ref);
    for (const entry of faults.neverStartImages ?? []) {
      if (typeof entry === "string") this.markImageNeverStarts(entry);
      else this.markImageNeverStarts(entry.ref, entry.mode);
    }
    for (const lease of faults.heldLeases ?? []) {
      this.holdLease(lease.app, lease.machineId, {
        owner: lease.owner,
        ttlSeconds: lease.ttlSeconds,
      });
    }
  }

  get faults(): Faults {
    return this.faultInjector.get();
  }

  /** On (Fly's limits), off, or custom; also empties the buckets. */
  setRateLimits(limits: boolean | Partial<RateLimitConfig>): void {
    this.limiter.config = rateLimitConfig(limits);
    this.limiter.reset();
  }

  /** Checks of machines running the image go `critical` (now and on every boot) until unmarked. */
  markImageBad(ref: string, bad = true): void {
    this.state.markImageBad(ref, bad);
  }

  /** Machines booting the image never reach `started`: `fail` → `failed`, `hang` → stay transient. */
  markImageNeverStarts(ref: string, mode: boolean | "fail" | "hang" = "fail"): void {
    this.state.markImageNeverStarts(ref, mode);
  }

  /** From the next boot on, machines running the image crash-loop (`true` = exit code 1); `false` ends it. */
  markImageCrashLoop(ref: string, crash: boolean | number = true): void {
    this.state.markImageCrashLoop(ref, crash);
  }

  /** Release commands run on the image exit non-zero (`true` = 1); `false` makes them exit 0. */
  markReleaseCommandFails(ref: string, fails: boolean | number = true): void {
    this.state.markReleaseCommandFails(ref, fails);
  }

  /** The machine's host goes `unreachable` (or back to `ok`). */
  setHostStatus(app: string, machineId: string, status: HostStatus): void {
    this.state.lifecycle.setHostStatus(this.state.machine(app, machineId), status);
  }

  /** The machine's events, newest first (copies), as `GET …/events` serves them. */
  machineEvents(app: string, machineId: string): MachineEventJson[] {
    return structuredClone(this.state.machine(app, machineId).events);
  }

  /** Someone else takes the machine's lease; returns it (with the nonce). */
  holdLease(
    app: string,
    machineId: string,
    options: { owner?: string; ttlSeconds?: number; description?: string } = {},
  ): LeaseJson {
    return leaseJson(
      this.state.holdLease(app, machineId, {
        owner: options.owner ?? "someone-else@fly.test",
        ttlSeconds: options.ttlSeconds ?? 3600,
        description: options.description ?? "held by the emulator",
      }),
    );
  }

  releaseLease(app: string, machineId: string): void {
    this.state.machine(app, machineId).lease = null;
  }

  /** Appends a release (next version unless given). */
  addRelease(app: string, spec: Partial<ReleaseSpec> = {}): ReleaseRecord {
    return structuredClone(this.state.addRelease(app, spec));
  }

  /** Pushes an image to the app's registry table. */
  addImage(app: string, spec: ImageSpec): ImageRecord {
    return structuredClone(this.state.addImage(app, spec));
  }

  /** Prunes an image from the registry table (releases keep naming it; `image(ref)` then answers null). */
  removeImage(app: string, ref: string): boolean {
    return this.state.removeImage(app, ref);
  }

  addMachine(app: string, spec: MachineSpec): MachineJson {
    return machineJson(this.state, this.state.addMachine(app, spec));
  }

  /** Sets a secret as `fly secrets set` would (new digest, new time); only its digest is ever served. */
  setSecret(app: string, name: string, value: string): void {
    setSecret(this.state, this.state.app(app), { name, value });
  }

  /** Removes a secret, as `fly secrets unset` would. */
  unsetSecret(app: string, name: string): boolean {
    return unsetSecret(this.state.app(app), name);
  }

  /** The snapshots of a volume, oldest first. */
  volumeSnapshots(app: string, volumeId: string): { id: string; status: string }[] {
    const volume = appVolumes(this.state.app(app)).find((v) => v.id === volumeId);
    return (volume?.snapshots ?? []).map((s) => ({ id: s.id, status: s.status }));
  }

  setMachineState(app: string, machineId: string, state: string): void {
    this.state.setMachineState(this.state.machine(app, machineId), state, "update");
  }

  setChecks(app: string, machineId: string, status: CheckStatusJson["status"]): void {
    this.state.setChecks(app, this.state.machine(app, machineId), status);
  }

  /** Moves the emulator's clock forward (lease expiry, cursor expiry, timestamps, rate-limit refill). */
  advanceClock(ms: number): void {
    this.state.clockOffsetMs += ms;
  }

  /** Resolves when no machine is booting, stopping or waiting for checks. */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.state.busy) {
      if (Date.now() > deadline) throw new Error("emulator: machines still busy");
      await sleep(5);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state.dispose();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ------------------------------------------------------------------ requests

  private authenticate(header: string | undefined): string | null {
    if (!header) return null;
    // `Bearer <t>` or `FlyV1 <t>`; <t> may be a comma-separated list (macaroons, then user tokens).
    const match = /^(bearer|flyv1)\s+(.+)$/i.exec(header.trim());
    if (!match?.[2]) return null;
    for (const part of match[2].split(",")) {
      const user = this.state.tokens.get(part.trim());
      if (user) return user;
    }
    return null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = `${ulid(this.requestIds, Date.now())}-ams`;
    res.setHeader("fly-request-id", requestId);
    const url = new URL(req.url ?? "/", "http://emulator");
    const method = (req.method ?? "GET").toUpperCase();
    const body = await readBody(req);

    if (url.pathname.startsWith("/__emulator/")) {
      this.handleAdmin(method, url, body, res);
      return;
    }

    const route: Route = (url.pathname.startsWith(OCI_PATH_PREFIX)
      ? this.registry.route(method, url.pathname, url.searchParams)
      : undefined) ??
      routeGraphql(this.state, method, url.pathname, body) ??
      routeReleases(this.state, method, url.pathname) ??
      routeMetrics(this.state, this.traffic, method, url.pathname) ??
      routeAppProxy(this.traffic, method, url.pathname) ??
      routeVolumes(this.state, method, url.pathname) ??
      routeMachines(this.state, method, url.pathname) ?? {
        service: url.pathname.startsWith("/v1/")
          ? "machines"
          : url.pathname.startsWith("/api/")
            ? "releases"
            : url.pathname === "/graphql"
              ? "graphql"
              : ("other" as never),
        operation: "unknown",
        mutating: false,
        handle: (ctx) => sendError(ctx.res, 404, `no route for ${method} ${url.pathname}`),
      };
    const entry: RequestLogEntry = {
      at: new Date(this.state.now()).toISOString(),
      method,
      path: url.pathname,
      query: url.search,
      service: route.service,
      operation: route.operation,
      mutating: route.mutating,
      status: 0,
      requestId,
      durationMs: 0,
    };
    this.log.push(entry);
    if (this.log.length > this.options.requestLogLimit) this.log.shift();
    this.liveCounters.requests++;
    const finish = () => {
      if (entry.durationMs !== 0) return;
      entry.status = res.headersSent ? res.statusCode : 0;
      entry.durationMs = Math.max(0.001, performance.now() - started);
      const key = String(entry.status);
      this.liveCounters.byStatus[key] = (this.liveCounters.byStatus[key] ?? 0) + 1;
      if (entry.status === 429) this.liveCounters.rateLimited++;
    };
    res.on("close", finish);

    try {
      const latency = this.faultInjector.latency();
      if (latency > 0) await sleep(latency);
      const fault = this.faultInjector.pick({
        service: route.service,
        operation: route.operation,
        method,
      });
      // An after-handling fault lets the request take effect and replaces only its answer.
      const afterwards =
        fault && fault.type !== "delay" && fault.afterHandling === true ? fault : null;
      if (fault) {
        this.liveCounters.faults++;
        entry.fault = describeFault(fault);
      }
      if (fault && !afterwards) {
        if (fault.type === "drop") {
          this.liveCounters.dropped++;
          req.socket.destroy();
          finish();
          return;
        }
        if (fault.type === "delay") await sleep(fault.ms);
        else {
          this.sendFault(route.service, res, fault);
          finish();
          return;
        }
      }
      const user = this.authenticate(req.headers.authorization);
      // Registries check their own credentials (Basic, or the Bearer realm flow); app traffic is public.
      if (!user && route.operation !== "unknown" && !route.public && route.service !== "registry") {
        if (route.service === "graphql") {
          // HTTP 401 with a GraphQL errors body; the wording is our assumption.
          sendJson(res, 401, {
            errors: [
              {
                message: "You must be authenticated to view this.",
                extensions: { code: "UNAUTHORIZED" },
              },
            ],
          });
        } else {
          sendError(res, 401, "Authenticate: token validation error");
        }
        finish();
        return;
      }
      if (route.rateLimitKey) {
        const waitMs = this.limiter.take(
          route.rateLimitKey,
          route.rateLimitClass ?? "default",
          this.state.now(),
        );
        if (waitMs > 0) {
          sendError(res, 429, "rate limit exceeded", {
            "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))),
          });
          finish();
          return;
        }
      }
      const ctx: RequestContext = {
        req,
        res: afterwards ? discardingResponse(res) : res,
        method,
        url,
        body,
        user,
        aborted: new Promise((resolve) => res.on("close", () => resolve())),
        notes: [],
      };
      try {
        await route.handle(ctx);
      } catch (error) {
        if (!afterwards) throw error;
      } finally {
        if (ctx.notes.length > 0) entry.notes = [...ctx.notes];
      }
      if (afterwards) {
        if (afterwards.type === "drop") {
          this.liveCounters.dropped++;
          req.socket.destroy();
        } else this.sendFault(route.service, res, afterwards);
      }
    } catch (error) {
      if (error instanceof EmulatorError) sendError(res, error.status, error.message);
      else
        sendError(
          res,
          500,
          `emulator error: ${error instanceof Error ? error.message : String(error)}`,
        );
    }
    finish();
  }

  private sendFault(
    service: Service | "other",
    res: ServerResponse,
    fault: Extract<FaultAction, { type: "status" }>,
  ): void {
    const headers: Record<string, string> = {};
    if (fault.status === 429) headers["retry-after"] = String(fault.retryAfterSeconds ?? 1);
    const message =
      fault.body ??
      (fault.status === 429 ? "rate limit exceeded" : (STATUS_TEXT[fault.status] ?? "error"));
    if (service === "graphql") sendJson(res, fault.status, { errors: [{ message }] }, headers);
    else sendError(res, fault.status, message, headers);
  }

  private handleAdmin(method: string, url: URL, body: Buffer, res: ServerResponse): void {
    try {
      if (method === "GET" && url.pathname === "/__emulator/state") {
        sendJson(res, 200, this.snapshot());
        return;
      }
      if (method === "GET" && url.pathname === "/__emulator/requests") {
        sendJson(res, 200, { counters: this.counters, requests: this.requestLog });
        return;
      }
      if (method === "POST" && url.pathname === "/__emulator/faults") {
        this.setFaults(JSON.parse(body.toString("utf8") || "{}") as Faults);
        sendJson(res, 200, this.faults);
        return;
      }
      if (method === "POST" && url.pathname === "/__emulator/traffic") {
        const spec = JSON.parse(body.toString() || "{}") as {
          app?: string;
          image?: string;
        } & ImageTraffic &
          AppTraffic;
        if (spec.app) this.setAppTraffic(spec.app, spec);
        if (spec.image) this.setImageTraffic(spec.image, spec);
        sendJson(res, 200, { ok: true });
        return;
      }
      if (method === "POST" && url.pathname === "/__emulator/images") {
        const input = JSON.parse(body.toString("utf8") || "{}") as {
          ref?: string;
          bad?: boolean;
          neverStarts?: boolean | "fail" | "hang";
          crashLoop?: boolean | number;
          releaseCommandFails?: boolean | number;
        };
        if (!input.ref) throw new EmulatorError(400, "ref is required");
        if (input.bad !== undefined) this.markImageBad(input.ref, input.bad);
        if (input.neverStarts !== undefined)
          this.markImageNeverStarts(input.ref, input.neverStarts);
        if (input.crashLoop !== undefined) this.markImageCrashLoop(input.ref, input.crashLoop);
        if (input.releaseCommandFails !== undefined)
          this.markReleaseCommandFails(input.ref, input.releaseCommandFails);
        sendJson(res, 200, { ok: true });
        return;
      }
      sendError(res, 404, `no admin route ${method} ${url.pathname}`);
    } catch (error) {
      sendError(
        res,
        error instanceof EmulatorError ? error.status : 400,
        error instanceof Error ? error.message : String(error),
      );
    }
  }
}

const STATUS_TEXT: Record<number, string> = {
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function describeFault(fault: FaultAction): string {
  const after = fault.type !== "delay" && fault.afterHandling ? "after:" : "";
  if (fault.type === "status") return `${after}status:${fault.status}`;
  if (fault.type === "delay") return `delay:${fault.ms}`;
  return `${after}drop`;
}

/** A response the handler can write to that goes nowhere (its real answer is replaced by a fault). */
function discardingResponse(real: ServerResponse): ServerResponse {
  const sink = {
    headersSent: false,
    destroyed: false,
    statusCode: 200,
    writeHead(status: number) {
      sink.statusCode = status;
      sink.headersSent = true;
      return sink;
    },
    setHeader: () => sink,
    end: () => sink,
    on: real.on.bind(real),
  };
  return sink as unknown as ServerResponse;
}

function rateLimitConfig(
  limits: boolean | Partial<RateLimitConfig> | undefined,
): RateLimitConfig | null {
  if (limits === false) return null;
  if (limits === true || limits === undefined) return { ...FLY_RATE_LIMITS };
  return { ...FLY_RATE_LIMITS, ...limits };
}

/** Starts an emulator on 127.0.0.1 (a free port unless `port` is given). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const input = options.scenario ?? "demo";
  const scenario =
    typeof input === "string"
      ? await loadScenario(input)
      : input instanceof ScenarioBuilder
        ? input.build()
        : input;
  const seed = options.seed ?? scenario.seed ?? Math.floor(Math.random() * 2 ** 31);
  const bootTimeMs = options.bootTimeMs ?? 300;
  const state = new EmulatorState(seed, {
    bootTimeMs,
    checkDelayMs: options.checkDelayMs ?? 500,
    stopTimeMs: options.stopTimeMs ?? Math.round(bootTimeMs / 2),
    resumeTimeMs: options.resumeTimeMs ?? Math.round(bootTimeMs / 3),
    runTimeMs: options.runTimeMs ?? bootTimeMs,
    crashAfterMs: options.crashAfterMs ?? bootTimeMs,
    restartDelayMs: options.restartDelayMs ?? Math.max(1, Math.round(bootTimeMs / 5)),
  });
  state.load(scenario);
  state.oci = new OciRegistry(state, scenario.registries, scenario.imageDigestRefs);
  if (state.tokens.size === 0) state.tokens.set(`fm2_emulator_${seed}`, "emulator@fly.test");
  const faults = new FaultInjector(
    new Rng(deriveSeed(seed, "faults")),
    new Rng(deriveSeed(seed, "jitter")),
    {
      ...options.faults,
      latencyMs: options.latencyMs ?? options.faults?.latencyMs,
    },
  );
  const limiter = new RateLimiter(rateLimitConfig(options.rateLimits));
  const server = createServer({ keepAliveTimeout: 5_000 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const emulator = new Emulator(server, state, faults, limiter, {
    requestLogLimit: options.requestLogLimit ?? 50_000,
    scenarioName: scenario.name ?? (typeof input === "string" ? input : "custom"),
  });
  for (const app of scenario.apps) {
    if (app.traffic) emulator.setAppTraffic(app.name, app.traffic);
    for (const image of app.images ?? []) {
      if (image.traffic) emulator.setImageTraffic(image.ref, image.traffic);
    }
  }
  try {
    emulator.setFaults({
      ...options.faults,
      latencyMs: options.latencyMs ?? options.faults?.latencyMs,
    });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  return emulator;
}
