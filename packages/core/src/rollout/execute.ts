import { isSemflyError, SemflyError } from "../errors.js";
import {
  checkPlanImage,
  type ImageCheck,
  type ImageCheckOptions,
  imageCheckRecord,
  skippedImageCheckWarning,
} from "../registry/image-check.js";
import type { FlyMachine } from "../versions/types.js";
import { settleLimit, sleep } from "./concurrency.js";
import type { RolloutEvent, RolloutEventListener } from "./events.js";
import {
  configForRelease,
  type PlannedMachine,
  type RolloutPlan,
  type VersionRef,
} from "./plan.js";
import type { RolloutClient } from "./port.js";

/** flyctl's default `--wait-timeout`. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;
/** Short enough that a killed rollout frees the app quickly; refreshed at half-life while working. */
export const DEFAULT_LEASE_TTL_SECONDS = 30;
/**
 * Leases in flight at once. Taking and giving back the leases are the rollout's only steps that scale with
 * the app's size rather than a batch's: each wave of them costs a round trip, so apps of up to 512 machines
 * take and give back their leases in one wave each way (measured: a 300-machine rolling rollout went from
 * 1.19x to 1.11x its ideal against 128). Fly's limits are per machine, so the width is bounded only to keep
 * sockets in check (an immediate rollout already updates a whole app at once).
 */
const LEASE_CONCURRENCY = 512;
/** Checks that stay critical this many polls in a row fail the machine (one critical poll may be boot noise). */
const CRITICAL_POLLS_TO_FAIL = 3;
/** How long one wait for `started` lasts before semfly looks at the machine itself. */
const WAIT_SLICE_SECONDS = 5;
/** States a machine does not leave by itself: waiting longer will not start it. */
const FAILED_STATES: ReadonlySet<string> = new Set(["failed", "destroyed", "destroying"]);
/** Tries of a step that must not be lost to one transient failure (see retryTransient). */
const PERSIST_ATTEMPTS = 4;
const PERSIST_RETRY_DELAY_MS = 200;
/** Failures that say nothing about the machine, only about the way to Fly. */
const TRANSIENT_CODES = new Set([
  "FLY_SERVER_ERROR",
  "RATE_LIMITED",
  "NETWORK_ERROR",
  "TIMEOUT",
  "FLY_TIMEOUT",
]);

export const NOT_RESTORED_NOTE =
  "A rollback changes machine images (and, with --with-config, machine configs) only: secrets, volumes and databases are not restored.";

export type MachineResult =
  | "updated"
  | "skipped"
  | "failed"
  | "reverted"
  | "revert-failed"
  | "not-started";

export interface MachineOutcome {
  id: string;
  name: string;
  region: string;
  processGroup: string;
  from: VersionRef | null;
  to: VersionRef;
  result: MachineResult;
  error?: string;
}

export type RolloutStatus = "complete" | "failed" | "interrupted";

export interface RolloutResult {
  app: string;
  kind: RolloutPlan["kind"];
  status: RolloutStatus;
  from: VersionRef | null;
  to: RolloutPlan["to"];
  strategy: RolloutPlan["strategy"];
  release: { id: string; version: number } | null;
  machines: MachineOutcome[];
  /** Why it failed or stopped. */
  reason: string | null;
  /** Every changed machine went back to its exact previous config. */
  reverted: boolean;
  /** What the app runs now: the target, the previous version, or null when machines are mixed. */
  liveNow: VersionRef | null;
  /** The version a rollback to which undoes this one. */
  undoTarget: VersionRef | null;
  warnings: string[];
  notRestored: string;
}

export interface ExecuteOptions {
  /** Abort to interrupt: no new machine updates start, machines in flight finish, leases are released. */
  signal?: AbortSignal;
  onEvent?: RolloutEventListener;
  waitTimeoutMs?: number;
  /** Atomic by default: a failed machine puts every changed machine back. `--no-revert` sets false. */
  revert?: boolean;
  leaseTtlSeconds?: number;
  /** How many machines of one batch change at once (flyctl's `--immediate-max-concurrent` for immediate). */
  concurrency?: number;
  /** The registry to ask about the target image, and whether to go ahead when nobody can say. */
  imageCheck?: Omit<ImageCheckOptions, "signal">;
}

interface Lease {
  machineId: string;
  nonce: string;
}

/** Run a plan: lease, record a release, update batch by batch, verify, revert on failure, release leases. */
export async function executeRollout(
  client: RolloutClient,
  plan: RolloutPlan,
  options: ExecuteOptions = {},
): Promise<RolloutResult> {
  const run = new RolloutRun(client, plan, options);
  return run.execute();
}

class RolloutRun {
  private readonly app: string;
  private readonly emit: (event: RolloutEvent) => void;
  private readonly waitTimeoutMs: number;
  private readonly leaseTtl: number;
  /** Work in flight finishes even after the user interrupts: cleanup has its own signal. */
  private readonly internal = new AbortController();
  private readonly leases = new Map<string, Lease>();
  private readonly outcomes = new Map<string, MachineOutcome>();
  /** Machines whose update was sent: a revert must consider them changed. */
  private readonly touched = new Set<string>();
  private readonly warnings: string[] = [];
  private release: { id: string; version: number } | null = null;
  private imageCheck: ImageCheck | null = null;
  /** Lease refreshes in flight: releasing while one still retries would let it re-take its lease. */
  private readonly refreshes = new Set<Promise<void>>();
  private readonly refreshingIds = new Set<string>();

  constructor(
    private readonly client: RolloutClient,
    private readonly plan: RolloutPlan,
    private readonly options: ExecuteOptions,
  ) {
    this.app = plan.app;
    this.emit = (event) => {
      if (event.type === "warning") this.warnings.push(event.message);
      options.onEvent?.(event);
    };
    this.waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    this.leaseTtl = options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
    for (const machine of plan.machines) {
      this.outcomes.set(machine.id, outcomeOf(machine, plan, "not-started"));
    }
  }

  private get interrupted(): boolean {
    return this.options.signal?.aborted === true;
  }

  private get call() {
    return { signal: this.internal.signal };
  }

  async execute(): Promise<RolloutResult> {
    this.emit({ type: "plan", plan: this.plan });
    if (this.plan.machines.length === 0) {
      // Nothing to move. If a killed run left its release unfinished, the machines say it completed.
      if (this.plan.finishRelease) {
        this.release = this.plan.finishRelease;
        await this.setReleaseStatus("complete", null);
      }
      return this.result("complete", null, false);
    }
    // Before any mutating request: a pruned image is bad input and must leave the app untouched.
    this.imageCheck = await verifyTargetImage(
      this.client,
      this.plan,
      this.options.signal,
      this.options.imageCheck,
    );
    if (this.imageCheck.skipped) {
      this.emit({ type: "warning", message: skippedImageCheckWarning(this.imageCheck) });
    }
    if (this.interrupted) throw interruptedBeforeStart();
    await this.takeAppLock();

    try {
      // Every machine is leased before the release is recorded: a conflict on any of them (a flyctl deploy
      // holding one, say) stops the rollout before it has changed or recorded anything.
      await this.leaseTheRest();
      await this.recordRelease(this.emit);
    } catch (error) {
      await this.releaseLeases();
      throw error;
    }

    const refresher = this.startLeaseRefresh();
    let outcome: { status: RolloutStatus; reason: string | null; reverted: boolean };
    try {
      outcome = await this.roll();
    } catch (error) {
      clearInterval(refresher);
      await Promise.all(this.refreshes);
      await this.releaseLeases();
      throw error;
    }
    clearInterval(refresher);
    await Promise.all(this.refreshes);
    // The record and the leases do not depend on each other: settle both at once, report them in order.
    const leaseEvents: RolloutEvent[] = [];
    await Promise.all([
      this.setReleaseStatus(outcome.status, outcome.reason),
      this.releaseLeases((event) => leaseEvents.push(event)),
    ]);
    for (const event of leaseEvents) this.emit(event);
    return this.result(outcome.status, outcome.reason, outcome.reverted);
  }

  private async roll(): Promise<{
    status: RolloutStatus;
    reason: string | null;
    reverted: boolean;
  }> {
    if (this.interrupted) {
      return {
        status: "interrupted",
        reason: "Interrupted before any machine changed.",
        reverted: false,
      };
    }
    const failure = await this.runBatches();
    if (failure) {
      const reverted = this.options.revert !== false ? await this.revertTouched() : false;
      const reason = reverted ? `${failure}; every changed machine was put back.` : `${failure}.`;
      return { status: "failed", reason, reverted };
    }
    if (this.interrupted) {
      const reason = `Interrupted after ${this.countResult("updated")} of ${this.plan.machines.length} machines.`;
      return { status: "interrupted", reason, reverted: false };
    }
    return { status: "complete", reason: null, reverted: false };
  }

  private async recordRelease(emit: (event: RolloutEvent) => void): Promise<void> {
    this.release = await this.client.createRelease(
      { app: this.app, image: this.plan.to.image, strategy: this.plan.strategy },
      this.call,
    );
    emit({ type: "release-created", release: this.release });
    await this.setReleaseStatus("running", null, emit);
  }

  /**
   * Two rollouts of one app must not both fail half-leased, so the machine with the lowest id (over all
   * app machines, changed or not) is leased first and alone: it is the app's lock, and a second rollout
   * stops there, before it has changed or recorded anything.
   */
  private async takeAppLock(): Promise<void> {
    const all = [
      ...this.plan.machines.map((m) => m.id),
      ...this.plan.skipped.map((s) => s.id),
    ].sort();
    await this.takeLease(all[0]!);
  }

  /** Lease every machine the plan changes that the lock did not already cover. */
  private async leaseTheRest(): Promise<void> {
    const rest = this.plan.machines.map((m) => m.id).filter((id) => !this.leases.has(id));
    const results = await settleLimit(rest, LEASE_CONCURRENCY, (id) => this.takeLease(id));
    const failed = results.find((r) => r.status === "rejected");
    if (failed && failed.status === "rejected") throw failed.reason;
  }

  private async takeLease(machineId: string): Promise<void> {
    const description = `semfly ${this.plan.kind} to ${this.plan.to.version ?? this.plan.to.key}`;
    const lease = await this.client.acquireLease(
      this.app,
      machineId,
      { ttlSeconds: this.leaseTtl, description },
      this.call,
    );
    this.leases.set(machineId, { machineId, nonce: lease.nonce });
    this.emit({ type: "machine-leased", machineId });
  }

  private startLeaseRefresh(): NodeJS.Timeout {
    const timer = setInterval(
      () => {
        // A lease whose last refresh is still retrying is left to it; the others are refreshed now.
        const due = [...this.leases.values()].filter((l) => !this.refreshingIds.has(l.machineId));
        for (const lease of due) this.refreshingIds.add(lease.machineId);
        const round = settleLimit(due, LEASE_CONCURRENCY, async (lease) => {
          try {
            const refreshed = await this.client.refreshLease(
              this.app,
              lease.machineId,
              lease.nonce,
              this.leaseTtl,
              this.call,
            );
            // A refresh that reaches Fly after the lease lapsed (a slow retry) takes a new lease with a
            // new nonce: the old one would make every later update and the release look like a stranger's.
            if (refreshed.nonce !== lease.nonce) {
              this.leases.set(lease.machineId, { ...lease, nonce: refreshed.nonce });
            }
          } finally {
            this.refreshingIds.delete(lease.machineId);
          }
        }).then((results) => {
          const failures = results.filter((r) => r.status === "rejected").length;
          if (failures > 0)
            this.emit({ type: "warning", message: `${failures} lease refreshes failed` });
        });
        this.refreshes.add(round);
        void round.finally(() => this.refreshes.delete(round));
      },
      (this.leaseTtl * 1000) / 2,
    );
    timer.unref();
    return timer;
  }

  private async releaseLeases(emit: (event: RolloutEvent) => void = this.emit): Promise<void> {
    const held = [...this.leases.values()];
    const results = await settleLimit(held, LEASE_CONCURRENCY, async (lease) => {
      await this.client.releaseLease(this.app, lease.machineId, lease.nonce);
      this.leases.delete(lease.machineId);
      emit({ type: "lease-released", machineId: lease.machineId });
    });
    const failures = results.filter((r) => r.status === "rejected").length;
    if (failures > 0) {
      emit({
        type: "warning",
        message: `${failures} leases could not be released; they expire within ${this.leaseTtl}s.`,
      });
    }
  }

  /** Returns the reason of the first machine failure, or null. Stops between batches when interrupted. */
  private async runBatches(): Promise<string | null> {
    const byId = new Map(this.plan.machines.map((m) => [m.id, m]));
    const concurrency = this.options.concurrency ?? Number.POSITIVE_INFINITY;
    for (const [index, ids] of this.plan.batches.entries()) {
      if (this.interrupted) return null;
      this.emit({ type: "batch-started", index, of: this.plan.batches.length, machineIds: ids });
      const batchAbort = new AbortController();
      // The first machine to fail is the cause; the others of its batch fail only because they were stopped.
      let cause: MachineFailure | null = null;
      await settleLimit(ids, Math.min(concurrency, ids.length), async (id) => {
        const machine = byId.get(id)!;
        if (this.interrupted || batchAbort.signal.aborted) return;
        try {
          await this.updateOne(machine, batchAbort.signal);
          this.setResult(id, "updated");
        } catch (error) {
          const reason = describe(error);
          this.setResult(id, "failed", reason);
          this.emit({ type: "machine-failed", machineId: id, reason });
          cause ??= new MachineFailure(id, reason);
          // The other machines of this batch stop waiting: the rollout is failing and will revert them.
          batchAbort.abort();
          throw cause;
        }
      });
      const failure = cause as MachineFailure | null;
      if (failure) return `Machine ${failure.machineId} failed: ${failure.reason}`;
    }
    return null;
  }

  private async updateOne(machine: PlannedMachine, stop: AbortSignal): Promise<void> {
    const lease = this.leases.get(machine.id);
    const config = configForRelease(machine.targetConfig, this.release!);
    this.touched.add(machine.id);
    const updated = await this.client.updateMachine(
      this.app,
      machine.id,
      { config, nonce: lease?.nonce, currentVersion: machine.instanceId },
      this.call,
    );
    this.emit({ type: "machine-updated", machineId: machine.id });
    if (machine.state !== "started") return; // A stopped machine is not started by a rollout.
    const deadline = Date.now() + this.waitTimeoutMs;
    await this.waitStarted(machine.id, updated.instanceId, deadline, stop);
    this.emit({ type: "machine-started", machineId: machine.id });
    await this.waitForChecks(machine.id, deadline, stop);
    this.emit({ type: "checks-passing", machineId: machine.id });
  }

  /**
   * Wait for the machine to start, in slices: Fly's wait API cannot wait for a machine to fail, so between
   * slices one look at the machine tells a crashed machine (`failed`) from a slow one, long before the
   * wait timeout. A machine that starts within the first slice costs no extra request.
   */
  private async waitStarted(id: string, version: string, deadline: number, stop: AbortSignal) {
    const signal = AbortSignal.any([this.internal.signal, stop]);
    for (;;) {
      const remaining = Math.ceil((deadline - Date.now()) / 1000);
      if (remaining <= 0) throw waitTimeout(this.waitTimeoutMs);
      try {
        await this.client.waitForState(
          this.app,
          id,
          { state: "started", timeoutSeconds: Math.min(remaining, WAIT_SLICE_SECONDS), version },
          { signal },
        );
        return;
      } catch (error) {
        if (!(isSemflyError(error) && error.code === "WAIT_TIMEOUT")) throw error;
      }
      const machine = await this.client.getMachine(this.app, id, { signal });
      if (FAILED_STATES.has(machine.state)) throw new Error(`the machine is ${machine.state}`);
      if (machine.state === "started" && machine.instanceId === version) return;
    }
  }

  private async waitForChecks(id: string, deadline: number, stop: AbortSignal): Promise<void> {
    let delay = 250;
    let criticalPolls = 0;
    const signal = AbortSignal.any([this.internal.signal, stop]);
    for (;;) {
      const machine: FlyMachine = await this.client.getMachine(this.app, id, { signal });
      if (FAILED_STATES.has(machine.state)) throw new Error(`the machine is ${machine.state}`);
      const expected = Object.keys(
        (machine.config.checks as Record<string, unknown> | undefined) ?? {},
      );
      const critical = machine.checks.filter((c) => c.status === "critical");
      const allPassing =
        machine.checks.every((c) => c.status === "passing") &&
        expected.every((name) => machine.checks.some((c) => c.name === name));
      if (allPassing) return;
      criticalPolls = critical.length > 0 ? criticalPolls + 1 : 0;
      if (criticalPolls >= CRITICAL_POLLS_TO_FAIL) {
        const check = critical[0]!;
        throw new Error(
          `health check ${check.name} is critical${check.output ? ` (${check.output.trim().slice(0, 120)})` : ""}`,
        );
      }
      if (Date.now() + delay > deadline) throw waitTimeout(this.waitTimeoutMs);
      await sleep(delay, signal);
      if (signal.aborted) throw new Error("stopped waiting for checks");
      delay = Math.min(delay * 1.5, 2000);
    }
  }

  /** Put every machine whose update was sent back on the exact config it had. */
  private async revertTouched(): Promise<boolean> {
    const byId = new Map(this.plan.machines.map((m) => [m.id, m]));
    const touched = [...this.touched].map((id) => byId.get(id)!);
    const results = await settleLimit(touched, LEASE_CONCURRENCY, async (machine) => {
      this.emit({ type: "machine-reverting", machineId: machine.id });
      try {
        await this.revertOne(machine);
        this.setResult(machine.id, "reverted");
        this.emit({ type: "machine-reverted", machineId: machine.id });
      } catch (error) {
        const reason = describe(error);
        this.setResult(machine.id, "revert-failed", reason);
        this.emit({ type: "revert-failed", machineId: machine.id, reason });
        throw error;
      }
    });
    return results.every((r) => r.status === "fulfilled");
  }

  /**
   * Send the machine's exact previous config and wait for it to start. A machine update is never retried
   * on the way forward (it may have happened), but a revert may be: sending the same old config again
   * ends in the same state, and giving up on one transient failure would leave the app half on the target.
   */
  private async revertOne(machine: PlannedMachine): Promise<void> {
    let sent: string | undefined;
    const reverted = await retryTransient(
      () => {
        // Read at each try: a lease refresh may have replaced the nonce meanwhile.
        sent = this.leases.get(machine.id)?.nonce;
        return this.client.updateMachine(
          this.app,
          machine.id,
          { config: machine.currentConfig, ...(sent ? { nonce: sent } : {}) },
          this.call,
        );
      },
      // Our own lease, re-taken by a refresh while this try was on its way, answers like a stranger's.
      (error) =>
        isSemflyError(error) &&
        error.code === "LEASE_CONFLICT" &&
        (this.refreshingIds.has(machine.id) || this.leases.get(machine.id)?.nonce !== sent),
    );
    if (machine.state !== "started") return;
    const timeoutSeconds = Math.min(60, Math.ceil(this.waitTimeoutMs / 1000));
    await retryTransient(() =>
      this.client.waitForState(
        this.app,
        machine.id,
        { state: "started", timeoutSeconds, version: reverted.instanceId },
        this.call,
      ),
    );
  }

  private async setReleaseStatus(
    status: string,
    error: string | null,
    emit: (event: RolloutEvent) => void = this.emit,
  ): Promise<void> {
    if (!this.release) return;
    const metadata = {
      semfly: {
        version: this.plan.to.version,
        previousVersion: this.plan.from?.version ?? null,
        digest: this.plan.to.digest,
        image: this.plan.to.image,
        kind: this.plan.kind,
        strategy: this.plan.strategy,
        reason: this.plan.reason,
        machines: this.plan.machines.map((m) => m.id).filter((id) => this.touched.has(id)),
        ...(error ? { error } : {}),
        ...(this.imageCheck ? { imageCheck: imageCheckRecord(this.imageCheck) } : {}),
        ...this.plan.recordMetadata,
      },
    };
    try {
      // The record must tell the truth, so a transient failure (even a 500) is worth a few more tries.
      const release = this.release;
      await retryTransient(() =>
        this.client.updateRelease(release.id, { status, metadata }, this.call),
      );
      emit({ type: "release-status", status, release: this.release });
    } catch (cause) {
      // flyctl only warns when it cannot record a status: the machines are what they are either way.
      emit({
        type: "warning",
        message: `Could not mark release v${this.release.version} ${status}: ${describe(cause)}`,
      });
    }
  }

  private setResult(id: string, result: MachineResult, error?: string) {
    const outcome = this.outcomes.get(id);
    if (!outcome) return;
    outcome.result = result;
    if (error) outcome.error = error;
    else delete outcome.error;
  }

  private countResult(result: MachineResult): number {
    return [...this.outcomes.values()].filter((o) => o.result === result).length;
  }

  private result(status: RolloutStatus, reason: string | null, reverted: boolean): RolloutResult {
    const plan = this.plan;
    const machines = [
      ...plan.machines.map((m) => this.outcomes.get(m.id)!),
      ...plan.skipped.map((s) => {
        const outcome: MachineOutcome = {
          id: s.id,
          name: s.id,
          region: "",
          processGroup: "",
          from: plan.to,
          to: plan.to,
          result: "skipped",
        };
        return outcome;
      }),
    ];
    const target = { key: plan.to.key, version: plan.to.version, digest: plan.to.digest };
    const allOnTarget = machines.every((m) => m.result === "updated" || m.result === "skipped");
    const noneChanged = machines.every(
      (m) => m.result !== "updated" && m.result !== "failed" && m.result !== "revert-failed",
    );
    const liveNow = allOnTarget ? target : noneChanged || reverted ? plan.from : null;
    return {
      app: plan.app,
      kind: plan.kind,
      status,
      from: plan.from,
      to: plan.to,
      strategy: plan.strategy,
      release: this.release,
      machines,
      reason,
      reverted,
      liveNow,
      undoTarget: status === "complete" || status === "interrupted" ? plan.from : null,
      warnings: this.warnings,
      notRestored: NOT_RESTORED_NOTE,
    };
  }
}

class MachineFailure extends Error {
  constructor(
    readonly machineId: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Check the target image (registry, then `app.image`, then machines); refuse gone, and unknown unless skipped. */
export async function verifyTargetImage(
  client: Pick<RolloutClient, "resolveImage">,
  plan: Pick<RolloutPlan, "app" | "to" | "machines" | "skipped">,
  signal?: AbortSignal,
  options: Omit<ImageCheckOptions, "signal"> = {},
): Promise<ImageCheck> {
  return checkPlanImage(client, plan, { ...options, signal });
}

function outcomeOf(
  machine: PlannedMachine,
  plan: RolloutPlan,
  result: MachineResult,
): MachineOutcome {
  return {
    id: machine.id,
    name: machine.name,
    region: machine.region,
    processGroup: machine.processGroup,
    from: machine.from,
    to: { key: plan.to.key, version: plan.to.version, digest: plan.to.digest },
    result,
  };
}

function waitTimeout(ms: number): Error {
  return new Error(`it did not become healthy within the wait timeout (${formatMs(ms)})`);
}

function interruptedBeforeStart(): SemflyError {
  return new SemflyError({
    code: "INTERRUPTED",
    kind: "rollout",
    message: "Interrupted before any machine changed.",
    suggestion: "Nothing was changed; run the command again when ready.",
  });
}

function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** For the steps that must not be lost (a revert, the final release status): bounded, spaced tries. */
async function retryTransient<T>(
  task: () => Promise<T>,
  alsoRetry: (error: unknown) => boolean = () => false,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      const transient =
        (isSemflyError(error) && TRANSIENT_CODES.has(error.code)) || alsoRetry(error);
      if (!transient || attempt >= PERSIST_ATTEMPTS) throw error;
      await sleep(PERSIST_RETRY_DELAY_MS * attempt);
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
