/**
 * The rollout's machine leases: taken before anything changes, each refreshed on its own timer from the
 * moment it is taken, given back at the end. The timers run beside whatever the rollout is doing, so no
 * sleep on a `Retry-After`, no slow release call and no long wait can outlast a lease's TTL.
 */
import { randomUUID } from "node:crypto";
import { inputError, isSemflyError } from "../errors.js";
import { settleLimit, sleep } from "./concurrency.js";
import type { RolloutEvent } from "./events.js";
import type { RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";

/** `--lease-timeout` bounds: under 5 s a refresh has no room to land; over 10 m a killed run locks the app. */
export const MIN_LEASE_TTL_SECONDS = 5;
export const MAX_LEASE_TTL_SECONDS = 600;
/** Short enough that a killed rollout frees the app quickly; refreshed at a third of its life while working. */
export const DEFAULT_LEASE_TTL_SECONDS = 30;
/**
 * Leases in flight at once. Taking and giving back the leases are the rollout's only steps that scale with
 * the app's size rather than a batch's: each wave of them costs a round trip, so apps of up to 512 machines
 * take and give back their leases in one wave each way (measured: a 300-machine rolling rollout went from
 * 1.19x to 1.11x its ideal against 128). Fly's limits are per machine, so the width is bounded only to keep
 * sockets in check.
 */
export const LEASE_CONCURRENCY = 512;

export function validateLeaseTtl(seconds: number): void {
  if (
    !Number.isFinite(seconds) ||
    seconds < MIN_LEASE_TTL_SECONDS ||
    seconds > MAX_LEASE_TTL_SECONDS
  ) {
    throw inputError(
      "INVALID_LEASE_TIMEOUT",
      `--lease-timeout ${seconds}s is outside ${MIN_LEASE_TTL_SECONDS}s..${MAX_LEASE_TTL_SECONDS / 60}m.`,
      "Pass a duration such as 13s (flyctl's default), 30s or 2m.",
    );
  }
}

/**
 * The app's lock: the lowest id over every reachable machine the rollout knows, changed or not. Two
 * rollouts of one app lease it first and alone, so the second stops there before changing anything.
 */
export function appLockId(
  plan: Pick<RolloutPlan, "machines" | "skipped" | "unreachable">,
): string | undefined {
  const unreachable = new Set(plan.unreachable.map((u) => u.id));
  return [
    ...plan.machines.map((m) => m.id),
    ...plan.skipped.map((s) => s.id).filter((id) => !unreachable.has(id)),
  ].sort()[0];
}

/**
 * After an acquire that may have landed, when to read the lease back: at once when Fly answered (a 5xx or
 * a reset after it acted), and twice more after a timeout, for an acquire Fly grants after the client gave
 * up on it: a lease found then is this run's and is held and given back like any other, rather than left
 * to lock the app for its TTL.
 */
const LOST_ACQUIRE_LOOKS_MS = [0];
const TIMED_OUT_ACQUIRE_LOOKS_MS = [0, 1000, 2000];

interface HeldLease {
  nonce: string;
  timer: NodeJS.Timeout;
  /** Refreshes on their way: a revert sent meanwhile may meet our own re-taken lease. */
  refreshing: number;
  /** Refreshes failed in a row: one is covered by the next tick, two put the lease at risk. */
  failures: number;
  warned: boolean;
}

export interface LeaseKeeperOptions {
  app: string;
  ttlSeconds: number;
  refreshMs: number;
  description: string;
  /** The engine's own signal: the user's Ctrl-C must not cancel refreshes or releases. */
  signal: AbortSignal;
  emit: (event: RolloutEvent) => void;
}

/**
 * An acquire Fly may have granted although its answer never came: a 5xx, a reset or a timeout after the
 * request was sent. A 4xx (409 held, 404 no machine) is a refusal that changed nothing.
 */
function mayHaveLanded(error: unknown): boolean {
  if (!isSemflyError(error)) return true;
  const status = error.status;
  return status === undefined || status === null || status >= 500 || status === 408;
}

export class LeaseKeeper {
  private readonly held = new Map<string, HeldLease>();
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * What every lease of this run says it is, with an id no other run shares: after an acquire whose answer
   * was lost, reading the lease back tells this run's lease from anyone else's exactly.
   */
  readonly description: string;

  constructor(
    private readonly client: Pick<
      RolloutClient,
      "acquireLease" | "refreshLease" | "releaseLease" | "readLease"
    >,
    private readonly options: LeaseKeeperOptions,
  ) {
    this.description = `${options.description} (run ${randomUUID().slice(0, 8)})`;
  }

  nonce(machineId: string): string | undefined {
    return this.held.get(machineId)?.nonce;
  }

  isRefreshing(machineId: string): boolean {
    return (this.held.get(machineId)?.refreshing ?? 0) > 0;
  }

  /**
   * Two rollouts of one app must not both fail half-leased, so the lock (the machine with the lowest id) is
   * leased first and alone: a second rollout stops there, before it has changed or recorded anything. Then
   * the rest, all at once; the first failure is thrown once every attempt has settled.
   */
  async takeAll(lockId: string, rest: readonly string[]): Promise<void> {
    await this.take(lockId);
    const results = await settleLimit(
      rest.filter((id) => id !== lockId),
      LEASE_CONCURRENCY,
      (id) => this.take(id),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed && failed.status === "rejected") throw failed.reason;
  }

  /** Lease machines this run does not hold yet (a killed run's, found once the lock is held). */
  async takeMore(ids: readonly string[]): Promise<void> {
    const results = await settleLimit(
      ids.filter((id) => !this.held.has(id)),
      LEASE_CONCURRENCY,
      (id) => this.take(id),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed && failed.status === "rejected") throw failed.reason;
  }

  private async take(machineId: string): Promise<void> {
    let lease: { nonce: string };
    try {
      lease = await this.client.acquireLease(
        this.options.app,
        machineId,
        { ttlSeconds: this.options.ttlSeconds, description: this.description },
        { signal: this.options.signal },
      );
    } catch (error) {
      if (!mayHaveLanded(error)) throw error;
      const timedOut = isSemflyError(error) && error.code === "TIMEOUT";
      const ours = await this.readBackOwn(
        machineId,
        timedOut ? TIMED_OUT_ACQUIRE_LOOKS_MS : LOST_ACQUIRE_LOOKS_MS,
      );
      if (!ours) throw error;
      // Fly granted it and the answer was lost: it is this run's, held and given back like any other.
      lease = ours;
    }
    const timer = setInterval(() => this.refresh(machineId), this.options.refreshMs);
    timer.unref();
    this.held.set(machineId, {
      nonce: lease.nonce,
      timer,
      refreshing: 0,
      failures: 0,
      warned: false,
    });
    this.options.emit({ type: "machine-leased", machineId });
  }

  /**
   * The machine's lease, if it is this run's (its description carries this run's id), looked for a few
   * times: a lease someone else holds ends the search at once (ours cannot be granted while theirs is).
   */
  private async readBackOwn(
    machineId: string,
    looks: readonly number[],
  ): Promise<{ nonce: string } | null> {
    let waited = 0;
    for (const at of looks) {
      await sleep(at - waited, this.options.signal);
      waited = at;
      try {
        const lease = await this.client.readLease(this.options.app, machineId, {
          signal: this.options.signal,
        });
        if (lease && lease.description === this.description) return lease;
        if (lease) return null;
      } catch {
        // A failed look is like an empty one: the next look, or the error already in hand, decides.
      }
    }
    return null;
  }

  /** One refresh; ticks are independent, so a slow or retrying refresh never holds the next one back. */
  private refresh(machineId: string): void {
    const lease = this.held.get(machineId);
    if (!lease) return;
    lease.refreshing++;
    const sent = lease.nonce;
    const round = this.client
      .refreshLease(this.options.app, machineId, sent, this.options.ttlSeconds, {
        signal: this.options.signal,
        // Its retries must not sleep past the next tick, which tries again anyway.
        retry: { retries: 1, maxDelayMs: Math.floor(this.options.refreshMs / 2) },
      })
      .then((refreshed) => {
        lease.failures = 0;
        // A refresh that lands after the lease lapsed takes a new one with a new nonce: the old one would
        // make every later update and the release look like a stranger's.
        if (this.held.get(machineId) === lease && refreshed.nonce !== sent) {
          lease.nonce = refreshed.nonce;
        }
      })
      .catch((error: unknown) => {
        lease.failures++;
        if (lease.failures < 2 || lease.warned || this.options.signal.aborted) return;
        lease.warned = true;
        const why = error instanceof Error ? error.message : String(error);
        this.options.emit({
          type: "warning",
          message: `Refreshing the lease on ${machineId} failed twice in a row (${why}); it is tried again.`,
        });
      })
      .finally(() => {
        lease.refreshing--;
        this.inFlight.delete(round);
      });
    this.inFlight.add(round);
  }

  /**
   * Give every lease back. Each keeps being refreshed until its own release starts, and releases wait for
   * refreshes in flight (one landing after a release would re-take the lease).
   */
  async releaseAll(emit: (event: RolloutEvent) => void = this.options.emit): Promise<void> {
    const held = [...this.held.entries()];
    const results = await settleLimit(held, LEASE_CONCURRENCY, async ([machineId, lease]) => {
      clearInterval(lease.timer);
      await Promise.all(this.inFlight);
      this.held.delete(machineId);
      try {
        // Repeatable: the transport resends it on a 5xx or a reset.
        await this.client.releaseLease(this.options.app, machineId, lease.nonce, {
          signal: this.options.signal,
        });
      } catch (error) {
        // A resend after Fly had released it (the first answer was lost) finds no lease: it is given back.
        if (!(isSemflyError(error) && error.status === 404)) throw error;
      }
      emit({ type: "lease-released", machineId });
    });
    const failures = results.filter((r) => r.status === "rejected").length;
    if (failures > 0) {
      emit({
        type: "warning",
        message: `${failures} leases could not be released; they expire within ${this.options.ttlSeconds}s.`,
      });
    }
  }
}
