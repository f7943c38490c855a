/** The orchestration of one rollout; each rule it applies lives in the module named for it. */
export { verifyTargetImage } from "./image-check.js";

import { inputError } from "../errors.js";
import {
  type ImageCheckOptions,
  imageCheckRecord,
  skippedImageCheckWarning,
} from "../registry/image-check.js";
import { EMPTY_GATES } from "../verify/types.js";
import { DEFAULT_KEEP_PARKED_SETS } from "../versions/parked.js";
import { rollBluegreen } from "./bluegreen.js";
import { DEFAULT_KEEP_PREVIOUS_MS, validateKeepSets } from "./bluegreen-rules.js";
import { settleLimit } from "./concurrency.js";
import {
  type DeadRunRecovery,
  putBackMachine,
  recoverDeadRuns,
  replanPutBack,
} from "./dead-run.js";
import type { RolloutEvent, RolloutEventListener } from "./events.js";
import {
  GateStep,
  type GateVerdict,
  gateFailureReason,
  gateRecord,
  type RolloutGates,
} from "./gates-step.js";
import { verifyTargetImage } from "./image-check.js";
import { appLockId, DEFAULT_LEASE_TTL_SECONDS, LEASE_CONCURRENCY, LeaseKeeper } from "./leases.js";
import { type MachineSteps, revertMachine, updateMachine } from "./machine-steps.js";
import type { OrphanRelease, RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";
import { releaseCommandStep } from "./release-command.js";
import {
  finishOrphans,
  planOutdatedError,
  ReleaseRecord,
  UNHEALTHY_ORPHAN,
} from "./release-record.js";
import {
  assembleResult,
  endOfRun,
  type MachineOutcome,
  type MachineResult,
  plannedOutcome,
  type RolloutResult,
  type RolloutStatus,
} from "./result.js";
import { leaseRefreshMs, type RolloutTiming, resolveTiming } from "./timing.js";

/** flyctl's default `--wait-timeout`. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;

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
  /** The engine's delays; tests pass short ones. */
  timing?: Partial<RolloutTiming>;
  /** The registry to ask about the target image, and whether to go ahead when nobody can say. */
  imageCheck?: Omit<ImageCheckOptions, "signal">;
  /** Probes, metric gates and the bake window (`--probe`, `--gate`, `--bake`, semfly.toml). */
  gates?: RolloutGates;
  /** Bluegreen: how long blue stays parked after the cut-over (default 24 h); 0 destroys it. */
  keepPreviousMs?: number;
  /** Bluegreen `--keep`: the most parked sets left after the cut-over, this one included (default 1). */
  keepParkedSets?: number;
}

/**
 * Run a plan: lease, finish orphaned records, record a release, (deploy) run the release command, update
 * batch by batch, verify, revert on failure, record the outcome, release leases. Every interruption, at any
 * moment, ends in one `interrupted` result.
 */
export async function executeRollout(
  client: RolloutClient,
  plan: RolloutPlan,
  options: ExecuteOptions = {},
): Promise<RolloutResult> {
  if (options.keepParkedSets !== undefined) validateKeepSets(options.keepParkedSets);
  return new RolloutRun(client, plan, options).execute();
}

class RolloutRun {
  private readonly app: string;
  private readonly emit: (event: RolloutEvent) => void;
  private readonly waitTimeoutMs: number;
  private readonly timing: RolloutTiming;
  /** Work in flight finishes even after the user interrupts: cleanup has its own signal. */
  private readonly internal = new AbortController();
  private readonly leases: LeaseKeeper;
  private readonly record: ReleaseRecord;
  private readonly steps: MachineSteps;
  private readonly outcomes = new Map<string, MachineOutcome>();
  /** Machines whose update was sent: a revert must consider them changed. */
  private readonly touched = new Set<string>();
  private readonly warnings: string[] = [];
  /** Judges the gates after each batch and through the bake window (always the same-image check). */
  private readonly gateStep: GateStep;
  /** The bake window was cut short by the user: every machine moved, not all of the window judged. */
  private bakeInterrupted = false;
  /** The killed run's release this run finished as complete, when it had nothing else to move. */
  private finished: { id: string; version: number } | null = null;
  /**
   * The run's own copy of the plan: machines a killed run left unhealthy are put back before anything
   * else, and then move from the config they run again.
   */
  private readonly plan: RolloutPlan;

  constructor(
    private readonly client: RolloutClient,
    given: RolloutPlan,
    private readonly options: ExecuteOptions,
  ) {
    const plan: RolloutPlan = {
      ...given,
      machines: given.machines.map((m) => ({ ...m })),
      skipped: [...given.skipped],
    };
    this.plan = plan;
    this.app = plan.app;
    this.emit = (event) => {
      if (event.type === "warning") this.warnings.push(event.message);
      options.onEvent?.(event);
    };
    this.waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    this.timing = resolveTiming(options.timing);
    const ttlSeconds = options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
    this.leases = new LeaseKeeper(client, {
      app: plan.app,
      ttlSeconds,
      refreshMs: leaseRefreshMs(this.timing, ttlSeconds),
      description: `semfly ${plan.kind} to ${plan.to.version ?? plan.to.key}`,
      signal: this.internal.signal,
      emit: this.emit,
    });
    this.record = new ReleaseRecord(client, plan, this.internal.signal);
    // What the plan asks the release to keep (promotedFrom, secret digests, volume snapshots).
    Object.assign(this.record.notes, plan.recordMetadata ?? {});
    this.steps = {
      client,
      plan,
      leases: this.leases,
      waiter: { client, app: plan.app, timing: this.timing, waitTimeoutMs: this.waitTimeoutMs },
      signal: this.internal.signal,
      emit: this.emit,
    };
    for (const machine of plan.machines) {
      this.outcomes.set(machine.id, plannedOutcome(machine, plan));
    }
    this.gateStep = new GateStep(
      client,
      plan,
      options.gates ?? { gates: { ...EMPTY_GATES }, sources: NO_GATE_SOURCES },
      this.emit,
    );
  }

  private get interrupted(): boolean {
    return this.options.signal?.aborted === true;
  }

  async execute(): Promise<RolloutResult> {
    this.emit({ type: "plan", plan: this.plan });
    // Shown with the plan already; the result carries them too.
    this.warnings.push(...this.plan.warnings);
    if (this.plan.machines.length === 0) return this.nothingToMove();
    if (!this.plan.definition) {
      throw inputError(
        "APP_CONFIG_UNKNOWN",
        `The app config of ${this.app}'s current release could not be read; nothing was changed.`,
        "A release without it would let the next `fly secrets set` strip services and checks.",
      );
    }
    if (this.interrupted) return this.stopped();
    try {
      // Before any mutating request: a pruned image is bad input and must leave the app untouched.
      const check = await verifyTargetImage(
        this.client,
        this.plan,
        this.options.signal,
        this.options.imageCheck,
      );
      this.record.notes.imageCheck = imageCheckRecord(check);
      if (check.skipped) this.emit({ type: "warning", message: skippedImageCheckWarning(check) });
    } catch (error) {
      if (this.interrupted) return this.stopped();
      throw error;
    }
    if (this.interrupted) return this.stopped();

    try {
      // Every machine is leased before the release is recorded: a conflict on any of them (a flyctl deploy
      // holding one, say) stops the rollout before it has changed or recorded anything.
      await this.leases.takeAll(
        appLockId(this.plan)!,
        this.plan.machines.map((m) => m.id),
      );
      const recovery = await recoverDeadRuns(this.steps, this.userSignal);
      await this.finishDeadRuns(recovery);
      const stop = this.afterInstantRepairs(recovery) ?? this.afterDeadRuns(recovery);
      if (stop) {
        await this.leases.releaseAll();
        return stop;
      }
      if (this.interrupted) {
        await this.leases.releaseAll();
        return this.stopped();
      }
      await this.record.create(this.plan.definition, this.emit);
      if (this.plan.releaseCommand) {
        const failure = await releaseCommandStep(
          this.client,
          this.plan,
          this.waitTimeoutMs,
          this.internal.signal,
          this.emit,
        );
        if (failure) {
          const reason = `The release command failed: ${failure}; no machine was changed.`;
          await this.record.setStatus("failed", [], reason, this.emit);
          await this.leases.releaseAll();
          return this.result("failed", reason, false);
        }
      }
      await this.record.setStatus("running", [], null, this.emit);
    } catch (error) {
      await this.leases.releaseAll();
      throw error;
    }

    let end: { status: RolloutStatus; reason: string | null; reverted: boolean; moved?: string[] };
    try {
      end = this.plan.strategy === "bluegreen" ? await this.bluegreen() : await this.roll();
    } catch (error) {
      await this.leases.releaseAll();
      throw error;
    }
    // The release command ran (usually a migration); the machines went back, the database did not.
    if (this.plan.releaseCommand && end.status === "failed" && end.reverted) {
      this.warnings.push(
        `The release command (${this.plan.releaseCommand.command}) ran for ${this.plan.to.version ?? this.plan.to.key} before the machines failed: the database may be ahead of the code that runs now.`,
      );
    }
    // Fly's release has no partial status: it says complete, and its metadata names the machines left
    // on their old image because their host was unreachable (--skip-unreachable).
    if (end.status === "partial") {
      this.record.notes.partial = { unreachable: this.plan.unreachable.map((u) => u.id) };
    }
    // The record and the leases do not depend on each other: settle both at once, report them in order.
    const leaseEvents: RolloutEvent[] = [];
    await Promise.all([
      this.record.setStatus(
        end.status === "partial" ? "complete" : end.status,
        end.moved ?? this.moved(),
        end.reason,
        this.emit,
      ),
      this.leases.releaseAll((event) => leaseEvents.push(event)),
    ]);
    for (const event of leaseEvents) this.emit(event);
    return this.result(end.status, end.reason, end.reverted);
  }

  /** No machine to move (every one is on the target): finish what killed runs left, under the lock. */
  private async nothingToMove(): Promise<RolloutResult> {
    if (this.plan.orphans.length > 0 && !this.interrupted) {
      const lock = appLockId(this.plan);
      if (lock) await this.leases.takeAll(lock, []);
      let finished: OrphanRelease[];
      let stop: RolloutResult | null;
      let keptOpen = 0;
      try {
        const recovery = await recoverDeadRuns(this.steps, this.userSignal);
        keptOpen = recovery.keptOpen.length;
        finished = await this.finishDeadRuns(recovery);
        stop = this.afterInstantRepairs(recovery) ?? this.afterDeadRuns(recovery);
      } finally {
        await this.leases.releaseAll();
      }
      if (stop) return stop;
      if (this.interrupted) return this.stopped();
      if (finished.length + keptOpen < this.plan.orphans.length) throw planOutdatedError();
      // A dead run's machines on the target but unhealthy: its record says failed, and so does this run.
      if (finished.some((o) => o.status === "failed")) {
        return this.result(
          "failed",
          `${UNHEALTHY_ORPHAN} Roll back to put them on a healthy version.`,
          false,
        );
      }
      const complete = finished.filter((o) => o.status === "complete");
      const last = complete[complete.length - 1];
      if (last) this.finished = { id: last.id, version: last.version };
    }
    const end = endOfRun({
      plan: this.plan,
      failure: null,
      reverted: false,
      interrupted: this.interrupted,
      updated: 0,
    });
    return this.result(end.status, end.reason, false);
  }

  private finishDeadRuns(recovery: DeadRunRecovery): Promise<OrphanRelease[]> {
    return finishOrphans(
      this.client,
      { app: this.app, orphans: recovery.orphans },
      this.internal.signal,
      this.emit,
      recovery.notes,
    );
  }

  /**
   * After a killed run's machines were put back: a run to another target moves them from the config they
   * run again; a run to the dead run's own target ends as the dead run would have, failed and reverted
   * (its target was not healthy, and rolling it out again would only repeat that). A machine that could not
   * be put back stops the run. Returns the result to end with, or null to go on.
   */
  /**
   * A killed instant rollback finished or put back moved machines between the app and a parked set: the
   * ones parked now leave this run's plan (a rollout never moves a parked machine). With none left to move,
   * the run is done: the repair made the target live.
   */
  private afterInstantRepairs(recovery: DeadRunRecovery): RolloutResult | null {
    const parked = new Set(
      recovery.instantRepairs.flatMap((r) => [...r.parked, ...r.leftLabelled]),
    );
    if (parked.size === 0 && recovery.instantRepairs.every((r) => r.failed.length === 0))
      return null;
    const plan = this.plan;
    plan.machines = plan.machines.filter((m) => !parked.has(m.id));
    plan.skipped = plan.skipped.filter((m) => !parked.has(m.id));
    plan.batches = plan.batches
      .map((batch) => batch.filter((id) => !parked.has(id)))
      .filter((batch) => batch.length > 0);
    plan.verifyCold = plan.verifyCold.filter((id) => !parked.has(id));
    for (const id of parked) this.outcomes.delete(id);
    // Fly refused part of a repair: nothing else is done, and the dead record stays open for the next run.
    const refused = recovery.instantRepairs.flatMap((r) => r.failed);
    if (refused.length > 0) {
      return this.result(
        "failed",
        `A killed instant rollback could not be finished or put back: ${refused.map((f) => `${f.id} (${f.reason})`).join(", ")}; its record is left open for the next run, and nothing else was changed.`,
        false,
      );
    }
    if (plan.machines.length > 0) return null;
    // Its release is this run's only when the repair finished a rollback onto this run's target; one put
    // back is a failed or interrupted release of another version.
    const onTarget = recovery.instantRepairs.filter(
      (r) => r.direction === "forward" && r.orphan.metadata?.digest === plan.to.digest,
    );
    const last = onTarget[onTarget.length - 1]?.orphan;
    if (last) this.finished = { id: last.id, version: last.version };
    return this.result("complete", null, false);
  }

  private afterDeadRuns(recovery: DeadRunRecovery): RolloutResult | null {
    if (recovery.reverts.length === 0) return null;
    let sameTarget: string | null = null;
    const failed: string[] = [];
    for (const revert of recovery.reverts) {
      if (revert.orphan.metadata?.digest === this.plan.to.digest) sameTarget = revert.reason;
      failed.push(...revert.failed.map((f) => `${f.id} (${f.reason})`));
      for (const put of revert.putBack) {
        const planned = this.plan.machines.find((m) => m.id === put.found.id);
        if (planned) {
          replanPutBack(planned, put, this.plan);
          this.outcomes.set(planned.id, plannedOutcome(planned, this.plan));
          continue;
        }
        // On this run's target already (the dead run's own target): shown as put back.
        const machine = putBackMachine(put, this.plan);
        const at = this.plan.skipped.findIndex((s) => s.id === machine.id);
        if (at >= 0) this.plan.skipped.splice(at, 1);
        this.plan.machines.push(machine);
        this.outcomes.set(machine.id, {
          ...plannedOutcome(machine, this.plan),
          result: "reverted",
        });
      }
      const last = revert.orphan;
      this.finished = { id: last.id, version: last.version };
    }
    if (failed.length > 0) {
      return this.result(
        "failed",
        `A killed run's machines were not healthy and ${failed.join(", ")} could not be put back on their previous config; nothing else was changed.`,
        false,
      );
    }
    if (sameTarget !== null) {
      return this.result(
        "failed",
        `A killed run's machines were not healthy on ${this.plan.to.version ?? this.plan.to.key} (${sameTarget}); every machine it moved was put back on its previous config.`,
        true,
      );
    }
    this.finished = null;
    return null;
  }

  private stopped(): RolloutResult {
    return this.result("interrupted", "Interrupted before any machine changed.", false);
  }

  private async roll() {
    const failure = await this.runBatches();
    const reverted =
      failure !== null && this.options.revert !== false ? await this.revertTouched() : false;
    const end = endOfRun({
      plan: this.plan,
      failure,
      reverted,
      interrupted: this.interrupted,
      updated: this.count("updated"),
    });
    if (this.bakeInterrupted && end.status === "interrupted") {
      const reason =
        "Interrupted during the bake window: every machine runs the target, but not every gate was judged for the whole window.";
      return { ...end, reason, reverted };
    }
    return { ...end, reverted };
  }

  private bluegreen() {
    return rollBluegreen({
      steps: this.steps,
      release: this.record.release!,
      keepPreviousMs: this.options.keepPreviousMs ?? DEFAULT_KEEP_PREVIOUS_MS,
      keepSets: this.options.keepParkedSets ?? DEFAULT_KEEP_PARKED_SETS,
      interrupted: () => this.interrupted,
      interruptSignal: this.options.signal,
      setResult: (id, result, error, replacedBy) => this.setResult(id, result, error, replacedBy),
    });
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
      let cause: { machineId: string; reason: string } | null = null;
      await settleLimit(ids, Math.min(concurrency, ids.length), async (id) => {
        const machine = byId.get(id)!;
        if (this.interrupted || batchAbort.signal.aborted) return;
        try {
          this.touched.add(id);
          await updateMachine(this.steps, machine, this.record.release!, batchAbort.signal);
          this.setResult(id, "updated");
        } catch (error) {
          const reason = describe(error);
          this.setResult(id, "failed", reason);
          this.emit({ type: "machine-failed", machineId: id, reason });
          cause ??= { machineId: id, reason };
          // The other machines of this batch stop waiting: the rollout is failing and will revert them.
          batchAbort.abort();
        }
      });
      const failure = cause as { machineId: string; reason: string } | null;
      if (failure) return `Machine ${failure.machineId} failed: ${failure.reason}`;
      if (this.interrupted) return null;
      const verdict = await this.gateStep.afterBatch(this.touched, this.userSignal);
      if (verdict.status === "fail") return this.gateFailed(verdict, "batch");
    }
    if (this.interrupted) return null;
    const verdict = await this.gateStep.bake(this.touched, this.userSignal);
    this.record.notes.gates = gateRecord(verdict, this.options.gates?.gates.bakeMs ?? 0);
    if (verdict.status === "fail") return this.gateFailed(verdict, "bake");
    if (verdict.status === "interrupted") this.bakeInterrupted = true;
    return null;
  }

  /** The user's Ctrl-C ends a gate's wait or the bake window; the engine's own work has its own signal. */
  private get userSignal(): AbortSignal {
    return this.options.signal ?? this.internal.signal;
  }

  private gateFailed(verdict: Extract<GateVerdict, { status: "fail" }>, phase: "batch" | "bake") {
    this.record.notes.gates = gateRecord(verdict, this.options.gates?.gates.bakeMs ?? 0);
    return gateFailureReason(verdict.failed, phase);
  }

  /** Put every machine whose update was sent back on the exact config it had. */
  private async revertTouched(): Promise<boolean> {
    const byId = new Map(this.plan.machines.map((m) => [m.id, m]));
    const touched = [...this.touched].map((id) => byId.get(id)!);
    const results = await settleLimit(touched, LEASE_CONCURRENCY, async (machine) => {
      this.emit({ type: "machine-reverting", machineId: machine.id });
      try {
        await revertMachine(this.steps, machine);
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

  /** Machines that now carry this run's release (what its record names as moved). */
  private moved(): string[] {
    return this.plan.machines
      .map((m) => m.id)
      .filter((id) => this.touched.has(id) && this.outcomes.get(id)?.result !== "reverted");
  }

  private setResult(id: string, result: MachineResult, error?: string, replacedBy?: string) {
    const outcome = this.outcomes.get(id);
    if (!outcome) return;
    outcome.result = result;
    if (error) outcome.error = error;
    else delete outcome.error;
    if (replacedBy) outcome.replacedBy = replacedBy;
  }

  private count(result: MachineResult): number {
    return [...this.outcomes.values()].filter((o) => o.result === result).length;
  }

  private result(status: RolloutStatus, reason: string | null, reverted: boolean): RolloutResult {
    return assembleResult({
      plan: this.plan,
      outcomes: this.outcomes,
      status,
      reason,
      reverted,
      release: this.record.release ?? this.finished,
      warnings: this.warnings,
      finishedEarlierMove: this.finished !== null,
    });
  }
}

/** Without probes or metric gates nothing is asked of these; the machines are judged all the same. */
const NO_GATE_SOURCES: RolloutGates["sources"] = {
  queryMetrics: async () => [],
  probe: async (_gate, machineId) => ({ status: null, body: "", error: "no probe", machineId }),
};

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
