/** Machines API calls on machines: list, get, update, start, wait, versions and metadata. */
import { SemflyError } from "../errors.js";
import type { FlyMachine, MachineConfig, MachineEvent } from "../versions/types.js";
import type { CallOptions, FlyContext } from "./context.js";
import type { HttpMethod, HttpRequest, HttpResponse } from "./http.js";
import { refineMachineFailure } from "./machine-errors.js";
import { toFlyMachine, toMachineEvent } from "./map-machine.js";
import {
  checkShape,
  decode,
  MachineEventsSchema,
  MachineListSchema,
  MachineSchema,
  MachineVersionsSchema,
  MetadataSchema,
  parseJsonText,
  WaitBodySchema,
} from "./schemas.js";

/** The Machines API's lease header; required on mutations of a leased machine. */
export const LEASE_NONCE_HEADER = "fly-machine-lease-nonce";

export interface MachineCall {
  operation: string;
  method: HttpMethod;
  app: string;
  machineId?: string | undefined;
  /** Path after `/v1/apps/{app}/machines`, e.g. `/{id}/start`. */
  path: string;
  query?: URLSearchParams | undefined;
  body?: unknown;
  nonce?: string | undefined;
  repeatable: boolean;
  /** Rate-limit action name; the bucket is per (action, machine) or per (action, app). */
  action: string;
  accept?: readonly number[] | undefined;
  timeoutMs?: number | undefined;
  refine?: HttpRequest["refine"];
  signal?: AbortSignal | undefined;
  queueSignal?: AbortSignal | undefined;
  retry?: CallOptions["retry"];
}

export function machinesCall(ctx: FlyContext, call: MachineCall): Promise<HttpResponse> {
  const query = call.query?.toString();
  const base = `${ctx.endpoints.flapsBaseUrl}/v1/apps/${encodeURIComponent(call.app)}/machines`;
  return ctx.http.send({
    operation: call.operation,
    method: call.method,
    url: `${base}${call.path}${query ? `?${query}` : ""}`,
    authorization: ctx.authorization.machines,
    headers: call.nonce ? { [LEASE_NONCE_HEADER]: call.nonce } : undefined,
    body: call.body,
    repeatable: call.repeatable,
    limit: { action: call.action, scope: `${call.app}/${call.machineId ?? ""}` },
    accept: call.accept,
    timeoutMs: call.timeoutMs,
    refine: call.refine ?? refineMachineFailure(call.app, call.machineId),
    signal: call.signal,
    queueSignal: call.queueSignal,
    retry: call.retry,
  });
}

const idPath = (id: string) => `/${encodeURIComponent(id)}`;

export interface ListMachinesOptions extends CallOptions {
  includeDeleted?: boolean | undefined;
  /** Advisory page size (1–1000) for servers that paginate; omitted by default. */
  pageSize?: number | undefined;
}

export async function listMachines(
  ctx: FlyContext,
  app: string,
  options: ListMachinesOptions = {},
) {
  const operation = "list machines";
  const machines: FlyMachine[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const query = new URLSearchParams();
    if (options.includeDeleted) query.set("include_deleted", "true");
    if (options.pageSize !== undefined) query.set("limit", String(options.pageSize));
    if (cursor) query.set("cursor", cursor);
    const response = await machinesCall(ctx, {
      operation,
      method: "GET",
      app,
      path: "",
      query,
      repeatable: true,
      action: "list_machines",
      signal: options.signal,
      retry: options.retry,
    });
    for (const wire of decode(operation, MachineListSchema, response)) {
      machines.push(toFlyMachine(wire, operation, response.requestId));
    }
    // Newer Machines API servers page with `fly-next-cursor`; older ones send everything at once.
    const next = response.headers["fly-next-cursor"];
    if (!next || seen.has(next)) return machines;
    seen.add(next);
    cursor = next;
  }
}

export interface GetMachineOptions extends CallOptions {
  /** A machine version (instance id) to read that historical config instead of the current one. */
  version?: string | undefined;
}

export async function getMachine(
  ctx: FlyContext,
  app: string,
  id: string,
  options: GetMachineOptions = {},
) {
  const operation = "get a machine";
  const query = new URLSearchParams();
  if (options.version) query.set("version", options.version);
  const response = await machinesCall(ctx, {
    operation,
    method: "GET",
    app,
    machineId: id,
    path: idPath(id),
    query,
    repeatable: true,
    action: "get_machine",
    signal: options.signal,
    retry: options.retry,
  });
  return toFlyMachine(decode(operation, MachineSchema, response), operation, response.requestId);
}

export interface UpdateMachineInput {
  /** The whole config: Fly replaces the machine's config with it. */
  config: MachineConfig;
  /** Lease nonce, when the machine is leased (it should be, during a rollout). */
  nonce?: string | undefined;
  /** Refuse (409) if the machine has moved past this version since it was read. */
  currentVersion?: string | undefined;
  /** The machine's region: flyctl sends it on every update. */
  region?: string | undefined;
  /** Leave a machine that is not running as it is: without it, Fly starts a stopped machine on update. */
  skipLaunch?: boolean | undefined;
}

export async function updateMachine(
  ctx: FlyContext,
  app: string,
  id: string,
  input: UpdateMachineInput,
  options: CallOptions = {},
) {
  const operation = "update a machine";
  const body: Record<string, unknown> = { config: input.config };
  if (input.region) body.region = input.region;
  if (input.skipLaunch) body.skip_launch = true;
  if (input.currentVersion) body.current_version = input.currentVersion;
  const response = await machinesCall(ctx, {
    operation,
    method: "POST",
    app,
    machineId: id,
    path: idPath(id),
    body,
    nonce: input.nonce,
    // Replaces the machine: a blind re-send could restart it twice or clobber a newer change. With
    // `current_version` it is not blind: an update that had landed is refused (409) instead of redone, so
    // it is resent on 502/503/reset as fly-go does, and the caller reads the machine back on that 409.
    repeatable: input.currentVersion !== undefined,
    action: "update_machine",
    signal: options.signal,
    retry: options.retry,
  });
  return toFlyMachine(decode(operation, MachineSchema, response), operation, response.requestId);
}

export async function startMachine(
  ctx: FlyContext,
  app: string,
  id: string,
  input: { nonce?: string | undefined } = {},
  options: CallOptions = {},
): Promise<void> {
  await machinesCall(ctx, {
    operation: "start a machine",
    method: "POST",
    app,
    machineId: id,
    path: `${idPath(id)}/start`,
    nonce: input.nonce,
    repeatable: false,
    action: "start_machine",
    signal: options.signal,
    retry: options.retry,
  });
}

export interface WaitForStateInput {
  /** Target state(s): `started`, `stopped`, `suspended`, `destroyed`… (several = any of them). */
  state: string | readonly string[];
  /** Overall deadline in seconds; Fly long-polls at most 60 s per call, so longer waits loop. */
  timeoutSeconds: number;
  /** Wait for this machine version (instance id), e.g. the one an update returned. */
  version?: string | undefined;
}

/** Fly blocks up to 60 s per wait call. */
const MAX_WAIT_SECONDS_PER_CALL = 60;
/** Time allowed on top of the long poll for the answer to travel. */
const WAIT_SLACK_MS = 15_000;

/** flyctl's back-off between wait calls that did not answer: 0.5 s doubling to 2 s. */
const WAIT_RETRY_MIN_MS = 500;
const WAIT_RETRY_MAX_MS = 2_000;

/**
 * Wait until the machine reaches one of the states, until our own deadline. As flyctl does, any answer but
 * 400 (a bad request: waiting longer will not fix it) only means "not yet": the wait is asked again.
 */
export async function waitForState(
  ctx: FlyContext,
  app: string,
  id: string,
  input: WaitForStateInput,
  options: CallOptions = {},
): Promise<{ state: string | null }> {
  const operation = "wait for a machine";
  const states = typeof input.state === "string" ? [input.state] : [...input.state];
  const deadline = Date.now() + input.timeoutSeconds * 1000;
  let lastError: unknown;
  let pause = WAIT_RETRY_MIN_MS;
  for (;;) {
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      throw new SemflyError({
        code: "WAIT_TIMEOUT",
        message: `Machine ${id} did not reach ${states.join("/")} within ${input.timeoutSeconds}s`,
        suggestion: "Check the machine's logs (`fly logs --machine <id>`), or allow more time.",
        operation,
        cause: lastError,
      });
    }
    const seconds = Math.max(1, Math.min(MAX_WAIT_SECONDS_PER_CALL, Math.ceil(remainingMs / 1000)));
    const query = new URLSearchParams();
    for (const state of states) query.append("state", state);
    query.set("timeout", String(seconds));
    // fly-go sends `version`; the 2024 spec's `instance_id` is its deprecated alias.
    if (input.version) query.set("version", input.version);
    let response: HttpResponse;
    try {
      response = await machinesCall(ctx, {
        operation,
        method: "GET",
        app,
        machineId: id,
        path: `${idPath(id)}/wait`,
        query,
        repeatable: true,
        action: "wait_machine",
        // 408 = the long poll ended before the state was reached: poll again until our own deadline.
        accept: [408],
        timeoutMs: seconds * 1000 + WAIT_SLACK_MS,
        signal: options.signal,
        retry: { retries: 0, ...options.retry },
      });
    } catch (error) {
      if (!(error instanceof SemflyError) || error.status === 400 || error.code === "ABORTED") {
        throw error;
      }
      if (options.signal?.aborted) throw error;
      lastError = error;
      await pauseFor(Math.min(pause, Math.max(0, deadline - Date.now())), options.signal);
      pause = Math.min(pause * 2, WAIT_RETRY_MAX_MS);
      continue;
    }
    if (response.status === 408) continue;
    if (response.text.trim() === "") return { state: states.length === 1 ? states[0]! : null };
    const body = checkShape(
      operation,
      WaitBodySchema,
      parseJsonText(operation, response),
      response,
    );
    return { state: body.state ?? (states.length === 1 ? states[0]! : null) };
  }
}

function pauseFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** `POST …/{id}/stop`: a cold machine a rollout started to verify it goes back to sleep. */
export async function stopMachine(
  ctx: FlyContext,
  app: string,
  id: string,
  input: { nonce?: string | undefined } = {},
  options: CallOptions = {},
): Promise<void> {
  await machinesCall(ctx, {
    operation: "stop a machine",
    method: "POST",
    app,
    machineId: id,
    path: `${idPath(id)}/stop`,
    nonce: input.nonce,
    // Stopping a stopped machine leaves it stopped.
    repeatable: true,
    action: "stop_machine",
    signal: options.signal,
    retry: options.retry,
  });
}

/** `POST …/{id}/suspend` (newer Machines API): back to the suspended state a verified machine came from. */
export async function suspendMachine(
  ctx: FlyContext,
  app: string,
  id: string,
  input: { nonce?: string | undefined } = {},
  options: CallOptions = {},
): Promise<void> {
  await machinesCall(ctx, {
    operation: "suspend a machine",
    method: "POST",
    app,
    machineId: id,
    path: `${idPath(id)}/suspend`,
    nonce: input.nonce,
    repeatable: true,
    action: "suspend_machine",
    signal: options.signal,
    retry: options.retry,
  });
}

/** `GET …/{id}/events`: newest first, as Fly lists them. */
export async function machineEvents(
  ctx: FlyContext,
  app: string,
  id: string,
  options: CallOptions = {},
): Promise<MachineEvent[]> {
  const operation = "list machine events";
  const response = await machinesCall(ctx, {
    operation,
    method: "GET",
    app,
    machineId: id,
    path: `${idPath(id)}/events`,
    repeatable: true,
    action: "list_events",
    signal: options.signal,
    retry: options.retry,
  });
  return decode(operation, MachineEventsSchema, response).map(toMachineEvent);
}

export interface CreateMachineInput {
  config: MachineConfig;
  region?: string | undefined;
  name?: string | undefined;
  /** Create it and leave it `created`/`stopped` (a green machine for a cold blue one). */
  skipLaunch?: boolean | undefined;
  /** Register no service: the proxy sends it nothing until it is uncordoned (bluegreen's green machines). */
  skipServiceRegistration?: boolean | undefined;
}

/** `POST /apps/{app}/machines`: the release command's one-off machine and bluegreen's green machines. */
export async function createMachine(
  ctx: FlyContext,
  app: string,
  input: CreateMachineInput,
  options: CallOptions = {},
): Promise<FlyMachine> {
  const operation = "create a machine";
  const body: Record<string, unknown> = { config: input.config };
  if (input.region) body.region = input.region;
  if (input.name) body.name = input.name;
  if (input.skipLaunch) body.skip_launch = true;
  if (input.skipServiceRegistration) body.skip_service_registration = true;
  const response = await machinesCall(ctx, {
    operation,
    method: "POST",
    app,
    path: "",
    body,
    // Sending it twice would create two machines.
    repeatable: false,
    action: "create_machine",
    signal: options.signal,
    queueSignal: options.queueSignal,
    retry: options.retry,
  });
  return toFlyMachine(decode(operation, MachineSchema, response), operation, response.requestId);
}

/** `DELETE …/{id}?force=true`. */
export async function destroyMachine(
  ctx: FlyContext,
  app: string,
  id: string,
  options: CallOptions & { nonce?: string | undefined } = {},
): Promise<void> {
  await machinesCall(ctx, {
    operation: "destroy a machine",
    method: "DELETE",
    app,
    machineId: id,
    path: idPath(id),
    query: new URLSearchParams({ force: "true" }),
    nonce: options.nonce,
    repeatable: true,
    action: "destroy_machine",
    signal: options.signal,
    retry: options.retry,
  });
}

export async function listMachineVersions(
  ctx: FlyContext,
  app: string,
  id: string,
  options: CallOptions = {},
) {
  const operation = "list machine versions";
  const response = await machinesCall(ctx, {
    operation,
    method: "GET",
    app,
    machineId: id,
    path: `${idPath(id)}/versions`,
    repeatable: true,
    action: "list_versions",
    signal: options.signal,
    retry: options.retry,
  });
  return decode(operation, MachineVersionsSchema, response).map((entry) => ({
    version: entry.version,
    config: entry.user_config as MachineConfig,
  }));
}

export async function getMachineMetadata(
  ctx: FlyContext,
  app: string,
  id: string,
  options: CallOptions = {},
) {
  const operation = "read machine metadata";
  const response = await machinesCall(ctx, {
    operation,
    method: "GET",
    app,
    machineId: id,
    path: `${idPath(id)}/metadata`,
    repeatable: true,
    action: "get_metadata",
    signal: options.signal,
    retry: options.retry,
  });
  return decode(operation, MetadataSchema, response);
}

export async function setMachineMetadata(
  ctx: FlyContext,
  app: string,
  id: string,
  key: string,
  value: string,
  options: CallOptions & { nonce?: string | undefined } = {},
): Promise<void> {
  await machinesCall(ctx, {
    operation: "set machine metadata",
    method: "POST",
    app,
    machineId: id,
    path: `${idPath(id)}/metadata/${encodeURIComponent(key)}`,
    body: { value },
    nonce: options.nonce,
    // Setting a key to a value twice leaves the same result.
    repeatable: true,
    action: "update_metadata",
    signal: options.signal,
    retry: options.retry,
  });
}

export async function deleteMachineMetadata(
  ctx: FlyContext,
  app: string,
  id: string,
  key: string,
  options: CallOptions & { nonce?: string | undefined } = {},
): Promise<void> {
  await machinesCall(ctx, {
    operation: "delete machine metadata",
    method: "DELETE",
    app,
    machineId: id,
    path: `${idPath(id)}/metadata/${encodeURIComponent(key)}`,
    nonce: options.nonce,
    // Deleting a key twice leaves the same result; a key already gone answers 404, taken as done.
    repeatable: true,
    action: "delete_metadata",
    accept: [404],
    signal: options.signal,
  });
}

/**
 * `PATCH …/{id}/metadata` (newer Machines API): several keys in one request, merged (keys not named stay;
 * null deletes). It writes `config.metadata` without a new machine version, so a suspended machine stays
 * resumable. An API without it (404, 405) gets the same change key by key.
 */
export async function patchMachineMetadata(
  ctx: FlyContext,
  app: string,
  id: string,
  changes: Readonly<Record<string, string | null>>,
  options: CallOptions & { nonce?: string | undefined } = {},
): Promise<void> {
  try {
    await machinesCall(ctx, {
      operation: "update machine metadata",
      method: "PATCH",
      app,
      machineId: id,
      path: `${idPath(id)}/metadata`,
      body: { metadata: changes },
      nonce: options.nonce,
      // A merge applied twice leaves the same keys.
      repeatable: true,
      action: "update_metadata",
      signal: options.signal,
      retry: options.retry,
    });
  } catch (error) {
    const status = error instanceof SemflyError ? error.status : undefined;
    if (status !== 404 && status !== 405) throw error;
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) await deleteMachineMetadata(ctx, app, id, key, options);
      else await setMachineMetadata(ctx, app, id, key, value, options);
    }
  }
}
