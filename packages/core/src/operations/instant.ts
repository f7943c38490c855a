/**
 * Instant rollback: the target version is parked (a bluegreen cut-over kept it), so going back is one
 * machine start, not a redeploy. Lease current and parked machines, un-park the parked set (its exact
 * config back, services included) while still cordoned, wait until healthy, take its park labels off,
 * uncordon it, then retire the current machines, which become the parked previous version (so the undo is
 * instant too). Until the cut-over the current machines serve; a failure puts the parked set back to
 * sleep, parked.
 */
import { inputError, SemflyError } from "../errors.js";
import { backToSleep } from "../rollout/back-to-sleep.js";
import { parkMachine } from "../rollout/bluegreen.js";
import { DEFAULT_KEEP_PREVIOUS_MS, validateKeepSets } from "../rollout/bluegreen-rules.js";
import { settleLimit } from "../rollout/concurrency.js";
import {
  type DeadInstantRepair,
  deadInstantNote,
  deadInstantStatus,
  isDeadInstant,
  killedInstantTo,
  repairDeadInstant,
  warnDeadInstant,
} from "../rollout/dead-instant.js";
import { trimParkedSets } from "../rollout/destroy-parked.js";
import type { RolloutEvent, RolloutEventListener } from "../rollout/events.js";
import { DEFAULT_WAIT_TIMEOUT_MS } from "../rollout/execute.js";
import { type FleetMember, waitFleetHealthy } from "../rollout/fleet-health.js";
import { waitForVersion } from "../rollout/health.js";
import {
  appLockId,
  DEFAULT_LEASE_TTL_SECONDS,
  LEASE_CONCURRENCY,
  LeaseKeeper,
} from "../rollout/leases.js";
import type { MachineSteps } from "../rollout/machine-steps.js";
import { configForRelease, type RolloutPlan } from "../rollout/plan.js";
import type { RolloutClient } from "../rollout/port.js";
import { finishOrphans, ReleaseRecord, stillInProgress } from "../rollout/release-record.js";
import { leaseRefreshMs, type RolloutTiming, resolveTiming } from "../rollout/timing.js";
import {
  DEFAULT_KEEP_PARKED_SETS,
  isParked,
  type ParkedSet,
  parkedMachine,
  parkedSets,
  suspendUnparkMetadata,
  unparkedConfig,
} from "../versions/parked.js";
import type { FlyMachine } from "../versions/types.js";

export interface InstantOptions {
  signal?: AbortSignal;
  onEvent?: RolloutEventListener;
  waitTimeoutMs?: number;
  leaseTtlSeconds?: number;
  timing?: Partial<RolloutTiming>;
  /** How long the machines it replaces stay parked (default 24 h); 0 destroys them. */
  keepPreviousMs?: number;
  /** `--keep`: the most parked sets left after the cut-over, the one parked in exchange included (default 1). */
  keepParkedSets?: number;
  /** Called once the restored set serves and the current one is cordoned, before it is parked. */
  onCutOver?: () => void;
}

export interface InstantResult {
  app: string;
  status: "complete" | "failed" | "interrupted";
  reason: string | null;
  release: { id: string; version: number } | null;
  from: RolloutPlan["from"];
  to: RolloutPlan["to"];
  /** The parked machines that serve now. */
  restored: string[];
  /** The machines that served before, parked now (or destroyed with keepPreviousMs 0). */
  parked: string[];
  /** Machines of older parked sets destroyed after the cut-over to honour `keepParkedSets`. */
  trimmed: string[];
  warnings: string[];
}

/** The unexpired parked set that runs the plan's target digest, or null (then only a redeploy can do it). */
export function parkedSetFor(
  plan: Pick<RolloutPlan, "to">,
  machines: readonly FlyMachine[],
  now: number,
): ParkedSet | null {
  return parkedSets(machines, now).find((s) => !s.expired && s.digest === plan.to.digest) ?? null;
}

/**
 * The refusal of an instant rollback to a version that is not parked; when a killed instant rollback to it
 * un-parked its set, it names the command that finishes that one.
 */
export function notParkedError(
  plan: Pick<RolloutPlan, "app" | "to" | "orphans">,
  is: "is not" | "is no longer" = "is not",
) {
  const target = plan.to.version ?? plan.to.key;
  const killed = is === "is not" ? killedInstantTo(plan) : null;
  if (killed) {
    return inputError(
      "NOT_PARKED",
      `${target} is not parked on ${plan.app}: a killed instant rollback to it (release v${killed.version}) un-parked it.`,
      `Run \`semfly rollback ${target} --no-instant\`: it finishes the killed rollback's cut-over (or undoes it if its machines are not healthy) before anything else.`,
    );
  }
  return inputError(
    "NOT_PARKED",
    `${target} ${is} parked on ${plan.app}: an instant rollback is impossible.`,
    "Run `semfly parked` to see what is parked, or pass --no-instant to redeploy.",
  );
}

/**
 * Run an instant rollback for a plan from `prepareRollback` whose target is parked. The plan's machines
 * are the current ones; `machines` is the app's machine list the parked set is read from.
 */
export async function instantRollback(
  client: RolloutClient,
  plan: RolloutPlan,
  machines: readonly FlyMachine[],
  options: InstantOptions = {},
): Promise<InstantResult> {
  const keepSets = options.keepParkedSets ?? DEFAULT_KEEP_PARKED_SETS;
  validateKeepSets(keepSets);
  const keepPreviousMs = options.keepPreviousMs ?? DEFAULT_KEEP_PREVIOUS_MS;
  let set = parkedSetFor(plan, machines, Date.now());
  // A killed instant rollback to this very target may have un-parked the set: this run finishes or undoes
  // it first (under the lock), then knows.
  if (!set && !killedInstantTo(plan)) throw notParkedError(plan, "is not");
  if (!plan.definition) {
    throw inputError(
      "APP_CONFIG_UNKNOWN",
      `The app config of ${plan.app}'s current release could not be read; nothing was changed.`,
    );
  }
  let parked = (set?.machines ?? []).map((m) => machines.find((x) => x.id === m.id)!);
  const warnings: string[] = [...plan.warnings];
  const emit = (event: RolloutEvent) => {
    if (event.type === "warning") warnings.push(event.message);
    options.onEvent?.(event);
  };
  const internal = new AbortController();
  const timing = resolveTiming(options.timing);
  const ttlSeconds = options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
  const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const leases = new LeaseKeeper(client, {
    app: plan.app,
    ttlSeconds,
    refreshMs: leaseRefreshMs(timing, ttlSeconds),
    description: `semfly instant rollback to ${plan.to.version ?? plan.to.key}`,
    signal: internal.signal,
    emit,
  });
  const steps: MachineSteps = {
    client,
    plan,
    leases,
    waiter: { client, app: plan.app, timing, waitTimeoutMs },
    signal: internal.signal,
    emit,
  };
  const record = new ReleaseRecord(client, plan, internal.signal);
  record.notes.mode = "instant";
  const end = (
    status: InstantResult["status"],
    reason: string | null,
    restored: string[] = [],
    retired: string[] = [],
    trimmed: string[] = [],
  ): InstantResult => ({
    app: plan.app,
    status,
    reason,
    release: record.release,
    from: plan.from,
    to: plan.to,
    restored,
    parked: retired,
    trimmed,
    warnings,
  });

  // The app's lock first (a second semfly run stops there, before anything is written), then the parked
  // set, which the wake needs, then the release is recorded and marked `running` with both sets named: a
  // run killed once a machine changed is made whole by the next one from them (dead-instant.ts). The
  // current machines are only needed at the cut-over, so their leases are taken while the parked set
  // boots; a conflict on one of them still comes before the cut-over: the parked set goes back to sleep and
  // the release is marked failed.
  const lock = appLockId(plan) ?? parked[0]?.id ?? plan.skipped[0]?.id;
  if (!lock) throw notParkedError(plan, "is not");
  const current = plan.machines.map((m) => m.id).filter((id) => id !== lock);
  const recordRunning = async (restoring: ParkedSet) => {
    // What a later run needs to finish or undo this one if it is killed (dead-instant.ts), written before
    // any machine changes.
    record.notes.parkedSet = restoring.set;
    record.notes.parkedUntil = restoring.expiresAt;
    record.notes.keepPreviousMs = keepPreviousMs;
    record.notes.restoring = parked.map((m) => m.id);
    record.notes.replacing = plan.machines.map((m) => m.id);
    // The ones running now: one found cold by a repair was stopped by the cut-over's parking.
    record.notes.replacingStarted = plan.machines.filter((m) => !m.cold).map((m) => m.id);
    await record.create(plan.definition!, emit);
    try {
      await record.setStatus("running", [], null, emit, true);
    } catch (cause) {
      // Without these notes a killed run could not be repaired (its record would read as a rolling run
      // that moved nothing, its woken machines left running): nothing is changed.
      await record.setStatus("failed", [], "Its record could not be marked running.", emit);
      throw new SemflyError({
        code: "RELEASE_NOT_RECORDED",
        message: `Release v${record.release?.version} of ${plan.app} could not be marked running: ${describe(cause)}; nothing was changed.`,
        suggestion: "Run the rollback again.",
        cause,
      });
    }
  };
  try {
    await leases.takeAll(lock, []);
    if (plan.orphans.length > 0) {
      // A killed run's machines are made whole first, under the lock, leased as that needs.
      await leases.takeMore(parked.map((m) => m.id));
      const repairs = await finishDeadInstants(steps, options.signal);
      if (options.signal?.aborted) {
        await leases.releaseAll();
        return end(
          "interrupted",
          "Interrupted while a killed instant rollback was repaired; the current version still serves.",
        );
      }
      // The repair may have changed the parked machines since they were listed (parked again, or parked
      // stopped when Fly would not suspend: a new config and version): the wake works from what they are.
      const now = await client.listMachines(plan.app, { signal: internal.signal });
      set = parkedSetFor(plan, now, Date.now());
      if (!set) {
        // Its cut-over finished by the repair: this target serves already.
        const finished = repairs.find(
          (r) => r.direction === "forward" && r.orphan.metadata?.digest === plan.to.digest,
        );
        if (!finished) throw notParkedError(plan, "is no longer");
        await leases.releaseAll();
        return {
          ...end("complete", null, finished.serving, finished.parked),
          release: { id: finished.orphan.id, version: finished.orphan.version },
        };
      }
      parked = set.machines.map((m) => now.find((x) => x.id === m.id)!);
      await leases.takeMore(parked.map((m) => m.id));
      await recordRunning(set);
    } else {
      // The parked set's leases before the record: a lease someone else holds (a gc, flyctl) then stops
      // the run with nothing written, not a failed release in Fly's history for a rollback that never ran.
      await leases.takeMore(parked.map((m) => m.id));
      await recordRunning(set!);
    }
  } catch (error) {
    await leases.releaseAll();
    throw error;
  }
  const release = record.release!;
  const currentLeased =
    current.length === 0
      ? Promise.resolve(null)
      : leases.takeMore(current).then(
          () => null,
          (error: unknown) => `A lease on a current machine was refused: ${describe(error)}`,
        );
  const woke = await wakeParked(steps, parked, release);
  let failure = woke ?? (await currentLeased);
  await currentLeased;
  // The park labels come off before the uncordon, so a machine that takes traffic never carries them: gc
  // and the trim of older sets destroy by them, and status and rollouts leave labelled machines out.
  if (failure === null && !options.signal?.aborted)
    failure = await unparkLabels(steps, parked, release);
  if (failure !== null || options.signal?.aborted) {
    const reparked = await reparkAll(steps, parked, release);
    const reason =
      failure === null
        ? "Interrupted before the cut-over: the current version still serves and the parked set is parked."
        : `${failure}; the current version still serves${reparked ? " and the parked set is parked again" : ", but some parked machines could not be put back to sleep"}.`;
    await record.setStatus(failure === null ? "interrupted" : "failed", [], reason, emit);
    await leases.releaseAll();
    return end(failure === null ? "interrupted" : "failed", reason);
  }

  const restored = parked.map((m) => m.id);
  let reason: string | null = null;
  try {
    await settleOrThrow(parked, (m) =>
      client.setCordon(
        plan.app,
        m.id,
        false,
        { nonce: leases.nonce(m.id) },
        { signal: steps.signal },
      ),
    );
    await settleOrThrow(plan.machines, (m) =>
      client.setCordon(
        plan.app,
        m.id,
        true,
        { nonce: leases.nonce(m.id) },
        { signal: steps.signal },
      ),
    );
    options.onCutOver?.();
    await settleOrThrow(plan.machines, (m) => parkMachine(steps, m, keepPreviousMs, release.id));
  } catch (error) {
    // A current machine whose cordon landed but was not parked would run out of service for good (no
    // later run looks at a failed release): back in service beside the restored set, as the repair of a
    // killed cut-over does. One parked stays cordoned (it keeps its services when suspended).
    const back = await uncordonUnparked(steps);
    reason = `The cut-over failed: ${describe(error)}; the restored version serves, ${back ? "and the current machines not parked serve too" : "some current machines may still serve too, some may be left cordoned"}.`;
  }
  // Only now, with the restored set serving, may older parked sets go (still under the app's lease).
  const trimmed = reason
    ? []
    : await trimParkedSets(client, plan.app, {
        keep: keepSets,
        newest: keepPreviousMs > 0 ? release.id : null,
        signal: steps.signal,
        emit,
      });
  await record.setStatus(reason ? "failed" : "complete", restored, reason, emit);
  await leases.releaseAll();
  return end(
    reason ? "failed" : "complete",
    reason,
    restored,
    plan.machines.map((m) => m.id),
    trimmed,
  );
}

/**
 * Killed instant rollbacks whose records are still open, repaired and finished under the app lock before
 * this one records anything (another kind of dead run is left to the next rollout, which judges it).
 */
async function finishDeadInstants(
  steps: MachineSteps,
  stop: AbortSignal | undefined,
): Promise<DeadInstantRepair[]> {
  const { client, plan, signal, emit } = steps;
  if (plan.orphans.length === 0) return [];
  const open = await stillInProgress(client, plan, signal);
  const dead = plan.orphans.filter((o) => open.has(o.id) && isDeadInstant(o));
  const notes = new Map<string, { error: string; putBack: string[] }>();
  const repairs: DeadInstantRepair[] = [];
  for (const orphan of dead) {
    const repair = await repairDeadInstant(steps, orphan, stop);
    // Stopped while judging: nothing was changed, and the record stays open.
    if (!repair.judged) break;
    warnDeadInstant(steps, repair);
    notes.set(orphan.id, deadInstantNote(repair));
    repairs.push(repair);
  }
  // One Fly would not let the repair change stays open for the next run, and this one stops here.
  const done = repairs.filter((r) => r.failed.length === 0);
  await finishOrphans(
    client,
    {
      app: plan.app,
      orphans: done.map((r) => ({ ...r.orphan, status: deadInstantStatus(r), machines: [] })),
    },
    signal,
    emit,
    notes,
  );
  const refused = repairs.flatMap((r) => r.failed);
  if (refused.length > 0) {
    throw new SemflyError({
      code: "DEAD_RUN_NOT_REPAIRED",
      message: `A killed instant rollback could not be finished or put back: ${refused.map((f) => `${f.id} (${f.reason})`).join(", ")}; its record is left open for the next run, and nothing else was changed.`,
      suggestion: "Run the command again once Fly answers; `semfly status` shows each machine.",
    });
  }
  return repairs;
}

/**
 * Un-park every machine of the set (still cordoned) and wait until each is started, or settled cold; then
 * judge the started ones healthy together, from one list of the app's machines per look rather than a
 * `GET` per machine (waitFleetHealthy): with the lease, the start, its wait, the uncordon and the lease's
 * release, that keeps a restored machine at six requests.
 */
async function wakeParked(
  steps: MachineSteps,
  parked: readonly FlyMachine[],
  release: { id: string; version: number },
): Promise<string | null> {
  const { waiter } = steps;
  const stop = new AbortController();
  const signal = AbortSignal.any([steps.signal, stop.signal]);
  const deadline = Date.now() + waiter.waitTimeoutMs;
  let cause: string | null = null;
  const fail = (machineId: string, reason: string) => {
    steps.emit({ type: "machine-failed", machineId, reason });
    cause ??= `Parked machine ${machineId} failed: ${reason}`;
    stop.abort();
  };
  const started: FleetMember[] = [];
  await settleLimit(parked, LEASE_CONCURRENCY, async (machine) => {
    try {
      const member = await wakeOne({ ...steps, signal }, machine, release, deadline);
      if (member) started.push(member);
    } catch (error) {
      fail(machine.id, describe(error));
    }
  });
  if (cause !== null || started.length === 0) return cause;
  try {
    const verdict = await waitFleetHealthy(
      { ...waiter, client: steps.client },
      started,
      deadline,
      signal,
    );
    if (verdict) {
      fail(verdict.machineId, verdict.reason);
      return cause;
    }
  } catch (error) {
    return `Waiting for the parked set's checks failed: ${describe(error)}`;
  }
  for (const member of started) steps.emit({ type: "checks-passing", machineId: member.id });
  return null;
}

/**
 * Wake one parked machine. A machine parked suspended kept its config: a start resumes it from its snapshot
 * (a cold boot when Fly dropped the snapshot: the same config either way), still cordoned and labelled
 * parked; its labels come off once the set is healthy (unparkLabels), then the cut-over uncordons it. One parked stopped gets its
 * exact config back in an update, which starts it (skip_launch for a cold one). Returns the machine to judge
 * healthy, or null for a cold one, settled cold on its restored version.
 */
async function wakeOne(
  steps: MachineSteps,
  machine: FlyMachine,
  release: { id: string; version: number },
  deadline: number,
): Promise<FleetMember | null> {
  const { client, plan, leases, waiter, signal } = steps;
  const label = parkedMachine(machine);
  const cold = label?.cold ?? false;
  const sentAt = Date.now();
  let version = machine.instanceId;
  if (label?.suspendMode) {
    if (cold) return null;
    await client.startMachine(
      plan.app,
      machine.id,
      { nonce: leases.nonce(machine.id) },
      { signal },
    );
  } else {
    const updated = await client.updateMachine(
      plan.app,
      machine.id,
      {
        config: configForRelease(unparkedConfig(machine.config), release),
        nonce: leases.nonce(machine.id),
        currentVersion: machine.instanceId,
        region: machine.region,
        // A stopped machine that is updated starts: exactly the one start an instant rollback costs.
        skipLaunch: cold,
      },
      { signal },
    );
    version = updated.instanceId;
  }
  await waitForVersion(waiter, machine.id, version, cold ? "cold" : "started", deadline, signal);
  if (cold) return null;
  steps.emit({ type: "machine-started", machineId: machine.id });
  return { id: machine.id, since: sentAt };
}

/**
 * Before the cut-over, every machine restored from a suspended park loses its park labels and gets the
 * release's keys, in one metadata write each that keeps its version (its snapshot stays its own). One
 * parked stopped lost them in its update already. Returns why it failed, or null.
 */
async function unparkLabels(
  steps: MachineSteps,
  parked: readonly FlyMachine[],
  release: { id: string; version: number },
): Promise<string | null> {
  const { client, plan, leases, signal } = steps;
  const results = await settleLimit(
    parked.filter((m) => parkedMachine(m)?.suspendMode),
    LEASE_CONCURRENCY,
    async (machine) => {
      try {
        await client.patchMachineMetadata(plan.app, machine.id, unparkChanges(machine, release), {
          nonce: leases.nonce(machine.id),
          signal,
        });
      } catch (error) {
        throw new Error(`Un-parking ${machine.id}'s labels failed: ${describe(error)}`);
      }
    },
  );
  const failed = results.find((r) => r.status === "rejected");
  return failed ? describe((failed as PromiseRejectedResult).reason) : null;
}

/** What un-parking writes on a machine parked suspended: its labels off, the release's keys on. */
function unparkChanges(machine: FlyMachine, release: { id: string; version: number }) {
  return suspendUnparkMetadata(machine.config.metadata ?? {}, {
    fly_release_id: release.id,
    fly_release_version: String(release.version),
  });
}

/**
 * Before the cut-over: every parked machine asleep again, as parked, its labels back (backToSleep).
 */
async function reparkAll(
  steps: MachineSteps,
  parked: readonly FlyMachine[],
  release: { id: string; version: number },
): Promise<boolean> {
  const results = await settleLimit(parked, LEASE_CONCURRENCY, (machine) =>
    backToSleep(steps, machine, unparkChanges(machine, release)),
  );
  return results.every((r) => r.status === "fulfilled");
}

/** After a failed cut-over: every current machine not parked uncordoned; false when one could not be. */
async function uncordonUnparked(steps: MachineSteps): Promise<boolean> {
  const { client, plan, leases, signal } = steps;
  try {
    const now = await client.listMachines(plan.app, { signal });
    const unparked = plan.machines.filter((m) => {
      const listed = now.find((x) => x.id === m.id);
      return listed !== undefined && !isParked(listed);
    });
    const results = await settleLimit(unparked, LEASE_CONCURRENCY, (m) =>
      client.setCordon(plan.app, m.id, false, { nonce: leases.nonce(m.id) }, { signal }),
    );
    return results.every((r) => r.status === "fulfilled");
  } catch {
    return false;
  }
}

async function settleOrThrow<T>(items: readonly T[], work: (item: T) => Promise<void>) {
  const results = await settleLimit(items, LEASE_CONCURRENCY, work);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
