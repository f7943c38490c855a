/** `createFlyClient`: one object for everything semfly asks of Fly (GraphQL, Machines API, release REST). */

import type { Dispatcher } from "undici";
import { inputError, registerSecret } from "../errors.js";
import type { MetricSample } from "../verify/verdict.js";
import type { FlyMachine, FlyRelease, MachineConfig, MachineEvent } from "../versions/types.js";
import { authorizationHeader, DEFAULT_ENDPOINTS, normalizeBaseUrl } from "./config.js";
import type { CallOptions, FlyContext } from "./context.js";
import { setCordon } from "./cordon.js";
import { HttpTransport } from "./http.js";
import { type ResolvedImage, resolveImage } from "./images.js";
import {
  type AcquireLeaseInput,
  acquireLease,
  type MachineLease,
  readLease,
  refreshLease,
  releaseLease,
} from "./leases.js";
import {
  type CreateMachineInput,
  createMachine,
  deleteMachineMetadata,
  destroyMachine,
  type GetMachineOptions,
  getMachine,
  getMachineMetadata,
  type ListMachinesOptions,
  listMachines,
  listMachineVersions,
  machineEvents,
  patchMachineMetadata,
  setMachineMetadata,
  startMachine,
  stopMachine,
  suspendMachine,
  type UpdateMachineInput,
  updateMachine,
  type WaitForStateInput,
  waitForState,
} from "./machines.js";
import { appOrganization, queryMetrics } from "./metrics.js";
import { FLY_MACHINES_CLIENT_LIMITS, type FlyRateLimits, RateLimiter } from "./rate-limit.js";
import { releaseDefinitions } from "./release-definitions.js";
import {
  type ReleaseImageLabels,
  type ReleasesByVersion,
  releaseImageLabels,
  releasesByVersion,
} from "./release-lookup.js";
import {
  allReleases,
  type CreateReleaseInput,
  createRelease,
  currentRelease,
  currentReleaseDefinition,
  type ReleaseDefinition,
  type ReleaseSummary,
  type ReleasesPage,
  releaseDefinition,
  releasesPage,
  type UpdateReleaseInput,
  updateRelease,
} from "./releases.js";
import { DEFAULT_RETRY, type RetryOptions } from "./retry.js";
import { appSecrets, type FlySecret } from "./secrets.js";
import {
  createVolumeSnapshot,
  type FlyVolume,
  type FlyVolumeSnapshot,
  listVolumeSnapshots,
  listVolumes,
} from "./volumes.js";

export interface FlyClientOptions {
  token: string;
  /** Defaults are Fly's public endpoints; use `resolveEndpoints()` to honour FLY_*_BASE_URL. */
  apiBaseUrl?: string | undefined;
  flapsBaseUrl?: string | undefined;
  uiexBaseUrl?: string | undefined;
  metricsBaseUrl?: string | undefined;
  /** undici transport; defaults to the global dispatcher. Tests pass a MockAgent. */
  dispatcher?: Dispatcher | undefined;
  /** Per HTTP request (wait long-polls get their poll time on top). Default 30 s. */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryOptions> | undefined;
  /** Client-side Machines API rate limiting: on by default, with Fly's documented limits. */
  rateLimit?: boolean | Partial<FlyRateLimits> | undefined;
  /** Largest response body read before giving up. Default 50 MB. */
  maxResponseBytes?: number | undefined;
  /** Receives one line per request and retry: method, URL, status, duration, request id. Never headers. */
  debug?: ((line: string) => void) | undefined;
  userAgent?: string | undefined;
}

export interface FlyClient {
  releasesPage(
    app: string,
    page: { first: number; after?: string | null | undefined },
    options?: CallOptions,
  ): Promise<ReleasesPage>;
  allReleases(
    app: string,
    page?: { pageSize?: number | undefined },
    options?: CallOptions,
  ): AsyncGenerator<ReleasesPage>;
  currentRelease(app: string, options?: CallOptions): Promise<FlyRelease | null>;
  /** The current release and the releases with these numbers, in one request. */
  releasesByVersion(
    app: string,
    versions: readonly number[],
    options?: CallOptions,
  ): Promise<ReleasesByVersion>;
  /** Image digest and config labels of the releases with these numbers, in one request. */
  releaseImageLabels(
    app: string,
    versions: readonly number[],
    options?: CallOptions,
  ): Promise<Map<number, ReleaseImageLabels>>;
  currentReleaseDefinition(app: string, options?: CallOptions): Promise<ReleaseDefinition | null>;
  releaseDefinition(
    app: string,
    version: number,
    options?: CallOptions,
  ): Promise<ReleaseDefinition | null>;
  resolveImage(app: string, ref: string, options?: CallOptions): Promise<ResolvedImage | null>;
  createRelease(input: CreateReleaseInput, options?: CallOptions): Promise<ReleaseSummary>;
  updateRelease(
    id: string,
    input: UpdateReleaseInput,
    options?: CallOptions,
  ): Promise<ReleaseSummary>;
  listMachines(app: string, options?: ListMachinesOptions): Promise<FlyMachine[]>;
  getMachine(app: string, id: string, options?: GetMachineOptions): Promise<FlyMachine>;
  updateMachine(
    app: string,
    id: string,
    input: UpdateMachineInput,
    options?: CallOptions,
  ): Promise<FlyMachine>;
  startMachine(
    app: string,
    id: string,
    input?: { nonce?: string | undefined },
    options?: CallOptions,
  ): Promise<void>;
  stopMachine(
    app: string,
    id: string,
    input?: { nonce?: string | undefined },
    options?: CallOptions,
  ): Promise<void>;
  suspendMachine(
    app: string,
    id: string,
    input?: { nonce?: string | undefined },
    options?: CallOptions,
  ): Promise<void>;
  machineEvents(app: string, id: string, options?: CallOptions): Promise<MachineEvent[]>;
  createMachine(app: string, input: CreateMachineInput, options?: CallOptions): Promise<FlyMachine>;
  destroyMachine(
    app: string,
    id: string,
    options?: CallOptions & { nonce?: string | undefined },
  ): Promise<void>;
  /** Cordon (true) or uncordon (false): whether Fly's proxy may route to the machine. */
  setCordon(
    app: string,
    id: string,
    cordoned: boolean,
    input?: { nonce?: string | undefined },
    options?: CallOptions,
  ): Promise<void>;
  waitForState(
    app: string,
    id: string,
    input: WaitForStateInput,
    options?: CallOptions,
  ): Promise<{ state: string | null }>;
  listMachineVersions(
    app: string,
    id: string,
    options?: CallOptions,
  ): Promise<{ version: string; config: MachineConfig }[]>;
  acquireLease(
    app: string,
    id: string,
    input: AcquireLeaseInput,
    options?: CallOptions,
  ): Promise<MachineLease>;
  refreshLease(
    app: string,
    id: string,
    nonce: string,
    ttlSeconds: number,
    options?: CallOptions,
  ): Promise<MachineLease>;
  releaseLease(app: string, id: string, nonce: string, options?: CallOptions): Promise<void>;
  /** The lease held on the machine now, or null. */
  readLease(app: string, id: string, options?: CallOptions): Promise<MachineLease | null>;
  getMachineMetadata(
    app: string,
    id: string,
    options?: CallOptions,
  ): Promise<Record<string, string>>;
  setMachineMetadata(
    app: string,
    id: string,
    key: string,
    value: string,
    options?: CallOptions & { nonce?: string | undefined },
  ): Promise<void>;
  /** Several metadata keys in one request (null deletes), without a new machine version. */
  patchMachineMetadata(
    app: string,
    id: string,
    changes: Readonly<Record<string, string | null>>,
    options?: CallOptions & { nonce?: string | undefined },
  ): Promise<void>;
  /** The slug of the app's organization (GraphQL `App.organization`). */
  appOrganization(app: string, options?: CallOptions): Promise<string>;
  /** An instant PromQL query against the organization's Prometheus API. */
  queryMetrics(org: string, query: string, options?: CallOptions): Promise<MetricSample[]>;
  deleteMachineMetadata(
    app: string,
    id: string,
    key: string,
    options?: CallOptions & { nonce?: string | undefined },
  ): Promise<void>;
  /** Release number → the app config it recorded (GraphQL `Release.config { definition }`). */
  releaseDefinitions(
    app: string,
    versions: readonly number[],
    options?: CallOptions,
  ): Promise<Map<number, unknown>>;
  /** Names, digests and times of the app's secrets (GraphQL `App.secrets`); never values. */
  appSecrets(app: string, options?: CallOptions): Promise<FlySecret[]>;
  listVolumes(app: string, options?: CallOptions): Promise<FlyVolume[]>;
  listVolumeSnapshots(
    app: string,
    volumeId: string,
    options?: CallOptions,
  ): Promise<FlyVolumeSnapshot[]>;
  createVolumeSnapshot(app: string, volumeId: string, options?: CallOptions): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024;

function limiterFor(option: FlyClientOptions["rateLimit"]): RateLimiter | undefined {
  if (option === false) return undefined;
  if (option === true || option === undefined) return new RateLimiter(FLY_MACHINES_CLIENT_LIMITS);
  return new RateLimiter({ ...FLY_MACHINES_CLIENT_LIMITS, ...option });
}

export function createFlyClient(options: FlyClientOptions): FlyClient {
  const token = options.token?.trim();
  if (!token) {
    throw inputError(
      "MISSING_TOKEN",
      "No Fly access token",
      "Set FLY_API_TOKEN (see `fly auth token`), pass --access-token, or run `fly auth login`.",
    );
  }
  registerSecret(token);
  const ctx: FlyContext = {
    http: new HttpTransport({
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      limiter: limiterFor(options.rateLimit),
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      userAgent: options.userAgent ?? "semfly",
      debug: options.debug,
    }),
    endpoints: {
      apiBaseUrl: normalizeBaseUrl(
        options.apiBaseUrl ?? DEFAULT_ENDPOINTS.apiBaseUrl,
        "apiBaseUrl",
      ),
      flapsBaseUrl: normalizeBaseUrl(
        options.flapsBaseUrl ?? DEFAULT_ENDPOINTS.flapsBaseUrl,
        "flapsBaseUrl",
      ),
      uiexBaseUrl: normalizeBaseUrl(
        options.uiexBaseUrl ?? DEFAULT_ENDPOINTS.uiexBaseUrl,
        "uiexBaseUrl",
      ),
      metricsBaseUrl: normalizeBaseUrl(
        options.metricsBaseUrl ?? DEFAULT_ENDPOINTS.metricsBaseUrl,
        "metricsBaseUrl",
      ),
    },
    authorization: {
      graphql: authorizationHeader(token, "graphql"),
      machines: authorizationHeader(token, "machines"),
      releases: authorizationHeader(token, "releases"),
    },
  };
  return {
    releasesPage: (app, page, o) => releasesPage(ctx, app, page, o),
    allReleases: (app, page, o) => allReleases(ctx, app, page, o),
    currentRelease: (app, o) => currentRelease(ctx, app, o),
    releasesByVersion: (app, versions, o) => releasesByVersion(ctx, app, versions, o),
    releaseImageLabels: (app, versions, o) => releaseImageLabels(ctx, app, versions, o),
    currentReleaseDefinition: (app, o) => currentReleaseDefinition(ctx, app, o),
    releaseDefinition: (app, version, o) => releaseDefinition(ctx, app, version, o),
    resolveImage: (app, ref, o) => resolveImage(ctx, app, ref, o),
    createRelease: (input, o) => createRelease(ctx, input, o),
    updateRelease: (id, input, o) => updateRelease(ctx, id, input, o),
    listMachines: (app, o) => listMachines(ctx, app, o),
    getMachine: (app, id, o) => getMachine(ctx, app, id, o),
    updateMachine: (app, id, input, o) => updateMachine(ctx, app, id, input, o),
    startMachine: (app, id, input, o) => startMachine(ctx, app, id, input, o),
    stopMachine: (app, id, input, o) => stopMachine(ctx, app, id, input, o),
    suspendMachine: (app, id, input, o) => suspendMachine(ctx, app, id, input, o),
    machineEvents: (app, id, o) => machineEvents(ctx, app, id, o),
    createMachine: (app, input, o) => createMachine(ctx, app, input, o),
    destroyMachine: (app, id, o) => destroyMachine(ctx, app, id, o),
    setCordon: (app, id, cordoned, input, o) => setCordon(ctx, app, id, cordoned, input, o),
    waitForState: (app, id, input, o) => waitForState(ctx, app, id, input, o),
    listMachineVersions: (app, id, o) => listMachineVersions(ctx, app, id, o),
    acquireLease: (app, id, input, o) => acquireLease(ctx, app, id, input, o),
    refreshLease: (app, id, nonce, ttl, o) => refreshLease(ctx, app, id, nonce, ttl, o),
    releaseLease: (app, id, nonce, o) => releaseLease(ctx, app, id, nonce, o),
    readLease: (app, id, o) => readLease(ctx, app, id, o),
    getMachineMetadata: (app, id, o) => getMachineMetadata(ctx, app, id, o),
    setMachineMetadata: (app, id, key, value, o) => setMachineMetadata(ctx, app, id, key, value, o),
    patchMachineMetadata: (app, id, changes, o) => patchMachineMetadata(ctx, app, id, changes, o),
    appOrganization: (app, o) => appOrganization(ctx, app, o),
    queryMetrics: (org, query, o) => queryMetrics(ctx, org, query, o),
    deleteMachineMetadata: (app, id, key, o) => deleteMachineMetadata(ctx, app, id, key, o),
    appSecrets: (app, o) => appSecrets(ctx, app, o),
    releaseDefinitions: (app, versions, o) => releaseDefinitions(ctx, app, versions, o),
    listVolumes: (app, o) => listVolumes(ctx, app, o),
    listVolumeSnapshots: (app, id, o) => listVolumeSnapshots(ctx, app, id, o),
    createVolumeSnapshot: (app, id, o) => createVolumeSnapshot(ctx, app, id, o),
  };
}
