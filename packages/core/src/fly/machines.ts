/** Machines API calls on machines: list, get, update, start, wait, versions and metadata. */
import { SemflyError } from "../errors.js";
import type { FlyMachine, MachineConfig } from "../versions/types.js";
import type { CallOptions, FlyContext } from "./context.js";
import type { HttpMethod, HttpRequest, HttpResponse } from "./http.js";
import { refineMachineFailure } from "./machine-errors.js";
import { toFlyMachine } from "./map-machine.js";
import {
  checkShape,
  decode,
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
  if (input.currentVersion) body.current_version = input.currentVersion;
  const response = await machinesCall(ctx, {
    operation,
    method: "POST",
    app,
    machineId: id,
    path: idPath(id),
    body,
    nonce: input.nonce,
    // Replaces the machine: a blind re-send could restart it twice or clobber a newer change.
    repeatable: false,
    action: "update_machine",
    signal: options.signal,
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
  for (;;) {
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      throw new SemflyError({
        code: "WAIT_TIMEOUT",
        message: `Machine ${id} did not reach ${states.join("/")} within ${input.timeoutSeconds}s`,
        suggestion: "Check the machine's logs (`fly logs --machine <id>`), or allow more time.",
        operation,
      });
    }
    const seconds = Math.max(1, Math.min(MAX_WAIT_SECONDS_PER_CALL, Math.ceil(remainingMs / 1000)));
    const query = new URLSearchParams();
    for (const state of states) query.append("state", state);
    query.set("timeout", String(seconds));
    // fly-go sends `version`; the 2024 spec's `instance_id` is its deprecated alias.
    if (input.version) query.set("version", input.version);
    const response = await machinesCall(ctx, {
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
    });
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
