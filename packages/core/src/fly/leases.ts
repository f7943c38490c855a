/**
 * Machine leases: the Machines API's per-machine lock. flyctl deploys take one on every machine they touch,
 * so semfly does too; a 409 means someone else (a deploy, another rollback) holds the machine.
 */
import { isSemflyError } from "../errors.js";
import type { CallOptions, FlyContext } from "./context.js";
import { type HttpFailure, leaseConflict } from "./fly-errors.js";
import { holderFromDetail, refineMachineFailure } from "./machine-errors.js";
import { machinesCall } from "./machines.js";
import { decode, LeaseBodySchema } from "./schemas.js";

export interface MachineLease {
  nonce: string;
  /** RFC 3339, from the lease's unix `expires_at`; null when Fly did not say. */
  expiresAt: string | null;
  owner: string | null;
  /** What its holder wrote when taking it (semfly writes its run id there). */
  description: string | null;
}

const idPath = (id: string) => `/${encodeURIComponent(id)}/lease`;

function toLease(lease: ReturnType<typeof decodeLease>): MachineLease {
  return {
    nonce: lease.nonce,
    expiresAt:
      typeof lease.expires_at === "number" ? new Date(lease.expires_at * 1000).toISOString() : null,
    owner: lease.owner || null,
    description: lease.description || null,
  };
}

function decodeLease(operation: string, response: Parameters<typeof decode>[2]) {
  return decode(operation, LeaseBodySchema, response);
}

/**
 * The machine's lease as Fly holds it now, or null when none is held (404). After an acquire whose answer
 * was lost, this is how a run learns whether the lease it asked for is its own.
 */
export async function readLease(
  ctx: FlyContext,
  app: string,
  id: string,
  options: CallOptions = {},
): Promise<MachineLease | null> {
  const operation = "read a machine lease";
  try {
    const response = await machinesCall(ctx, {
      operation,
      method: "GET",
      app,
      machineId: id,
      path: idPath(id),
      repeatable: true,
      action: "get_lease",
      signal: options.signal,
      retry: options.retry,
    });
    return toLease(decodeLease(operation, response));
  } catch (error) {
    if (isSemflyError(error) && error.status === 404) return null;
    throw error;
  }
}

/** Who holds the lease, for the conflict message; best effort, so any failure just leaves it unnamed. */
async function currentHolder(ctx: FlyContext, app: string, id: string, signal?: AbortSignal) {
  try {
    const lease = await readLease(ctx, app, id, { signal });
    if (!lease) return undefined;
    return lease.owner
      ? `${lease.owner}${lease.expiresAt ? ` until ${lease.expiresAt}` : ""}`
      : undefined;
  } catch {
    return undefined;
  }
}

export interface AcquireLeaseInput {
  ttlSeconds: number;
  /** Shown to whoever meets the lease, e.g. "semfly rollback to v1.2.3". */
  description: string;
}

export async function acquireLease(
  ctx: FlyContext,
  app: string,
  id: string,
  input: AcquireLeaseInput,
  options: CallOptions = {},
): Promise<MachineLease> {
  const operation = "acquire a machine lease";
  const refine = async (failure: HttpFailure) => {
    if (failure.status !== 409) return refineMachineFailure(app, id)(failure);
    const holder =
      holderFromDetail(failure.detail) ?? (await currentHolder(ctx, app, id, options.signal));
    return leaseConflict(failure, id, holder);
  };
  const response = await machinesCall(ctx, {
    operation,
    method: "POST",
    app,
    machineId: id,
    path: idPath(id),
    body: { ttl: input.ttlSeconds, description: input.description },
    // A re-sent acquire that had succeeded would meet our own lease as a 409.
    repeatable: false,
    action: "acquire_lease",
    refine,
    signal: options.signal,
    retry: options.retry,
  });
  return toLease(decodeLease(operation, response));
}

/** Extend a lease we hold (same call as acquire, with our nonce). */
export async function refreshLease(
  ctx: FlyContext,
  app: string,
  id: string,
  nonce: string,
  ttlSeconds: number,
  options: CallOptions = {},
): Promise<MachineLease> {
  const operation = "refresh a machine lease";
  const response = await machinesCall(ctx, {
    operation,
    method: "POST",
    app,
    machineId: id,
    path: idPath(id),
    body: { ttl: ttlSeconds },
    nonce,
    // With our nonce, a repeat just sets the same expiry again.
    repeatable: true,
    action: "acquire_lease",
    signal: options.signal,
    retry: options.retry,
  });
  return toLease(decodeLease(operation, response));
}

export async function releaseLease(
  ctx: FlyContext,
  app: string,
  id: string,
  nonce: string,
  options: CallOptions = {},
): Promise<void> {
  await machinesCall(ctx, {
    operation: "release a machine lease",
    method: "DELETE",
    app,
    machineId: id,
    path: idPath(id),
    nonce,
    repeatable: true,
    action: "release_lease",
    signal: options.signal,
    retry: options.retry,
  });
}
