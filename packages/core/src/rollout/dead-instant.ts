/**
 * What a killed instant rollback left, finished or put back once the next run holds the app lock, as the
 * live run would have ended: one version serving, the other parked. Such a run may die anywhere between
 * waking the parked set and parking the current one; what it leaves is on the machines and in its record,
 * which names both sets, the parked set's label and how long to park (written before any machine changes):
 * - while a machine of the set still carries its park labels, the cut-over had not begun (every label
 *   comes off before the first uncordon): the set goes back to sleep, parked, and the version that served
 *   still serves;
 * - otherwise the un-parked machines are judged as the live run judged them (every check passing, no crash
 *   loop): healthy, the cut-over is finished (they serve; the previous machines are cordoned and parked);
 *   not healthy, it is undone (they are parked again; the previous machines serve).
 * Cordon and uncordon can be sent twice, so nothing here needs to know how far the cut-over got (Fly's
 * machine object is not sure to say whether a machine is cordoned).
 */
import { isParked, type ParkLabel, parkedMachine } from "../versions/parked.js";
import type { FlyMachine } from "../versions/types.js";
import { backToSleep } from "./back-to-sleep.js";
import { parkMachine } from "./bluegreen.js";
import { DEFAULT_KEEP_PREVIOUS_MS } from "./bluegreen-rules.js";
import { settleLimit } from "./concurrency.js";
import { waitFleetHealthy } from "./fleet-health.js";
import { COLD_STATES } from "./health.js";
import { LEASE_CONCURRENCY } from "./leases.js";
import type { MachineSteps } from "./machine-steps.js";
import type { OrphanRelease, PlannedMachine, RolloutPlan, VersionRef } from "./plan.js";

/** The least a set put back to sleep is parked for when its record says no expiry. */
const MIN_PARK_MS = 60 * 60_000;

export interface DeadInstantRepair {
  orphan: OrphanRelease;
  /** False when the user stopped the run while the un-parked machines were judged: nothing was changed. */
  judged: boolean;
  /** `forward`: the cut-over was finished; `back`: the parked set is parked again. */
  direction: "forward" | "back";
  /** Why it went back, when it did because the un-parked machines were not healthy. */
  unhealthy: string | null;
  /** The machines that serve now (the restored set forward, the previous set back). */
  serving: string[];
  /** The machines parked (or destroyed, with keep-previous 0) by the repair, and the ones put to sleep. */
  parked: string[];
  /** Machines the repair could not change, and why. */
  failed: { id: string; reason: string }[];
  /** Of those, the ones left labelled parked (a park that failed after its labels): no rollout moves them. */
  leftLabelled: string[];
}

/** A record an instant rollback wrote: its mode (the sets it named are read by the repair). */
export function isDeadInstant(orphan: OrphanRelease): boolean {
  return orphan.metadata?.mode === "instant";
}

/**
 * A killed instant rollback to the plan's target whose record is still open: it may have un-parked the
 * target's set, which then is not parked any more; the next run finishes or undoes it.
 */
export function killedInstantTo(plan: Pick<RolloutPlan, "orphans" | "to">): OrphanRelease | null {
  return (
    plan.orphans.find((o) => isDeadInstant(o) && o.metadata?.digest === plan.to.digest) ?? null
  );
}

export async function repairDeadInstant(
  steps: MachineSteps,
  orphan: OrphanRelease,
  /** The user's Ctrl-C: it ends the wait for the un-parked machines' checks, and nothing is changed then. */
  stop?: AbortSignal,
): Promise<DeadInstantRepair> {
  const { client, plan, leases, signal } = steps;
  const notes = orphan.metadata ?? {};
  const machines = (await client.listMachines(plan.app, { signal })).filter(
    (m) => m.state !== "destroyed" && m.state !== "destroying",
  );
  const setOf = (m: FlyMachine) => parkedMachine(m)?.set ?? null;
  // A record without its set's name (garbled, or cut short) names the set by its target digest: the set
  // parked on it is the one the run woke.
  const parkedSet =
    typeof notes.parkedSet === "string" && notes.parkedSet !== ""
      ? notes.parkedSet
      : (machines.map(parkedMachine).find((p) => p !== null && p.digest === notes.digest)?.set ??
        "");
  // A record from a semfly before both sets were named (mode and parked set only): its un-parked machines
  // carry its release id, and the ones that served are the other managed machines.
  const named = (key: string) =>
    Array.isArray(notes[key]) ? new Set((notes[key] as unknown[]).map(String)) : null;
  const managed = new Set(plan.machines.map((m) => m.id));
  const restoring =
    named("restoring") ??
    new Set(
      machines
        .filter((m) => m.metadata.fly_release_id === orphan.id || setOf(m) === parkedSet)
        .map((m) => m.id),
    );
  const replacing =
    named("replacing") ??
    new Set(
      machines
        .filter((m) => managed.has(m.id) && m.metadata.fly_release_id !== orphan.id)
        .map((m) => m.id),
    );
  // The labels and the release id say it all: a record whose list is garbled still finds every machine of
  // the set, parked still or un-parked by the run (only those carry its release id).
  for (const m of machines) {
    if ((parkedSet !== "" && setOf(m) === parkedSet) || m.metadata.fly_release_id === orphan.id)
      restoring.add(m.id);
  }
  const stillParked = machines.filter((m) => restoring.has(m.id) && setOf(m) === parkedSet);
  const unparked = machines.filter(
    (m) => restoring.has(m.id) && !isParked(m) && m.metadata.fly_release_id === orphan.id,
  );
  // Parked in exchange already (labelled with the dead run's release id), or half parked.
  const exchanged = machines.filter((m) => replacing.has(m.id) && setOf(m) === orphan.id);
  const previous = machines.filter((m) => replacing.has(m.id) && !isParked(m));
  const awake = [...stillParked, ...exchanged].filter(
    (m) => !COLD_STATES.has(m.state) && m.state !== "failed",
  );
  await leases.takeMore([...stillParked, ...unparked, ...exchanged, ...previous].map((m) => m.id));

  let unhealthy: string | null = null;
  if (stillParked.length === 0 && unparked.length > 0) {
    const started = unparked.filter((m) => !COLD_STATES.has(m.state));
    const verdict =
      started.length === 0
        ? null
        : await waitFleetHealthy(
            { ...steps.waiter, client },
            started.map((m) => ({ id: m.id, since: m.updatedAt ? Date.parse(m.updatedAt) : 0 })),
            Date.now() + steps.waiter.waitTimeoutMs,
            stop ? AbortSignal.any([signal, stop]) : signal,
          ).catch((error: unknown) => ({ machineId: started[0]!.id, reason: describe(error) }));
    if (verdict) unhealthy = `${verdict.machineId}: ${verdict.reason}`;
  }
  if (stop?.aborted) {
    // Not judged to the end: nothing is changed, and the record stays open for the next run.
    return {
      orphan,
      judged: false,
      direction: "back",
      unhealthy: null,
      serving: [],
      parked: [],
      failed: [],
      leftLabelled: [],
    };
  }
  // A machine it replaces already parked in exchange, or gone (destroyed with keep-previous 0): the live
  // run was past its cut-over and would have ended forward whatever the restored set's health; going back
  // now would leave the version that served on what is left of its set, the rest parked or destroyed.
  const listed = new Set(machines.map((m) => m.id));
  const pastCutOver =
    exchanged.length > 0 || [...(named("replacing") ?? [])].some((id) => !listed.has(id));
  // A machine parked stopped is stopped before its parked config is written: one that ran when the run
  // began and is cold now may have been stopped by the cut-over (or by autostop: a start is harmless).
  const wasRunning = named("replacingStarted") ?? new Set<string>();
  // Back only with a previous machine to serve: never leave nothing serving (the cut-over had parked
  // them all, and its restored set turned unhealthy since).
  const forward =
    stillParked.length === 0 &&
    unparked.length > 0 &&
    (unhealthy === null || previous.length === 0 || pastCutOver);
  const repair: DeadInstantRepair = {
    orphan,
    judged: true,
    direction: forward ? "forward" : "back",
    unhealthy,
    serving: [],
    parked: [],
    failed: [],
    leftLabelled: [],
  };
  const each = async (
    list: readonly FlyMachine[],
    work: (m: FlyMachine) => Promise<void>,
    done: string[],
  ) => {
    const results = await settleLimit(list, LEASE_CONCURRENCY, work);
    results.forEach((r, i) => {
      if (r.status === "fulfilled") done.push(list[i]!.id);
      else repair.failed.push({ id: list[i]!.id, reason: describe(r.reason) });
    });
  };
  const cordon = (m: FlyMachine, on: boolean) =>
    client.setCordon(plan.app, m.id, on, { nonce: leases.nonce(m.id) }, { signal });
  const backInService = async (m: FlyMachine) => {
    try {
      if (!isParked(await client.getMachine(plan.app, m.id, { signal }))) await cordon(m, false);
      else repair.leftLabelled.push(m.id);
    } catch {
      // Reported with the park's own failure.
    }
  };

  // Asleep again first, whichever way: a parked machine never runs.
  await each(awake, (m) => backToSleep(steps, m, null), repair.parked);
  if (forward) {
    // The cut-over, finished: the restored set in service, then the previous one out of it and parked.
    await each(unparked, (m) => cordon(m, false), repair.serving);
    // A record is Fly's JSON: a keep that gives no date (out of range, not a number) is the default.
    const keepPreviousMs =
      typeof notes.keepPreviousMs === "number" &&
      Number.isFinite(new Date(Date.now() + notes.keepPreviousMs).getTime())
        ? notes.keepPreviousMs
        : DEFAULT_KEEP_PREVIOUS_MS;
    const from: VersionRef = {
      key: String(notes.previousVersion ?? ""),
      version: typeof notes.previousVersion === "string" ? notes.previousVersion : null,
      digest: null,
    };
    await each(
      previous,
      async (m) => {
        await cordon(m, true);
        try {
          await parkMachine(
            steps,
            asPlanned(m, { ...from, digest: m.imageRef?.digest ?? null }),
            keepPreviousMs,
            orphan.id,
          );
        } catch (error) {
          // Not parked: back in service beside the restored set, as the live cut-over does on a failure,
          // never left running out of service once this record is closed.
          await backInService(m);
          throw error;
        }
      },
      repair.parked,
    );
  } else {
    // Undone: the previous set in service, the un-parked machines out of it and parked again in their set.
    await each(
      previous,
      async (m) => {
        await cordon(m, false);
        if (wasRunning.has(m.id) && COLD_STATES.has(m.state)) {
          await client.startMachine(plan.app, m.id, { nonce: leases.nonce(m.id) }, { signal });
        }
      },
      repair.serving,
    );
    const label = setLabel(notes, parkedSet, machines);
    await each(
      unparked,
      async (m) => {
        await cordon(m, true);
        try {
          await parkMachine(steps, asPlanned(m, label), remainingMs(label), label.set);
        } catch (error) {
          // Labelled already (its park failed after the labels): no rollout may move it.
          try {
            if (isParked(await client.getMachine(plan.app, m.id, { signal })))
              repair.leftLabelled.push(m.id);
          } catch {
            // Reported with the park's own failure.
          }
          throw error;
        }
      },
      repair.parked,
    );
  }
  return repair;
}

/** The label the parked set carried: from a machine of it still parked, else from the dead run's record. */
function setLabel(
  notes: Record<string, unknown>,
  set: string,
  machines: readonly FlyMachine[],
): VersionRef & Pick<ParkLabel, "set" | "expiresAt"> {
  const sibling = machines.map(parkedMachine).find((p) => p?.set === set);
  const version = typeof notes.version === "string" ? notes.version : (sibling?.version ?? null);
  const digest = typeof notes.digest === "string" ? notes.digest : (sibling?.digest ?? null);
  return {
    set,
    key: version ?? digest ?? set,
    version,
    digest,
    expiresAt:
      typeof notes.parkedUntil === "string" && Number.isFinite(Date.parse(notes.parkedUntil))
        ? notes.parkedUntil
        : sibling?.expiresAt && Number.isFinite(Date.parse(sibling.expiresAt))
          ? sibling.expiresAt
          : new Date(Date.now() + DEFAULT_KEEP_PREVIOUS_MS).toISOString(),
  };
}

function remainingMs(label: Pick<ParkLabel, "expiresAt">): number {
  return Math.max(MIN_PARK_MS, Date.parse(label.expiresAt) - Date.now());
}

/** A machine as parkMachine takes it: its own config, on the version it runs. */
function asPlanned(machine: FlyMachine, from: VersionRef): PlannedMachine {
  return {
    id: machine.id,
    name: machine.name,
    region: machine.region,
    processGroup: machine.processGroup,
    state: machine.state,
    instanceId: machine.instanceId,
    from,
    currentConfig: machine.config,
    targetConfig: machine.config,
    configSource: "current",
    cold: COLD_STATES.has(machine.state),
  };
}

/** How the dead run's record is finished: its rollback done, undone for its health, or undone. */
export function deadInstantStatus(repair: DeadInstantRepair): OrphanRelease["status"] {
  if (repair.direction === "forward") return "complete";
  return repair.unhealthy ? "failed" : "interrupted";
}

/** What the dead run's record says once repaired. */
export function deadInstantNote(repair: DeadInstantRepair): { error: string; putBack: string[] } {
  const done =
    repair.direction === "forward"
      ? `finished its cut-over: ${repair.serving.length} restored machine(s) serve, ${repair.parked.length} parked`
      : `put it back: the parked set is parked again (${repair.parked.length} machine(s))${repair.unhealthy ? `, its machines not healthy (${repair.unhealthy})` : ""}, and ${repair.serving.length} previous machine(s) serve`;
  const failed =
    repair.failed.length > 0
      ? `; not changed: ${repair.failed.map((f) => `${f.id} (${f.reason})`).join(", ")}`
      : "";
  return {
    error: `The run was killed during an instant rollback; a later run ${done}${failed}.`,
    putBack: [...repair.serving, ...repair.parked].sort(),
  };
}

/** Said on the way: what the repair of a killed instant rollback did, and what it could not change. */
export function warnDeadInstant(steps: Pick<MachineSteps, "emit">, repair: DeadInstantRepair) {
  const { orphan } = repair;
  steps.emit({
    type: "warning",
    message:
      repair.direction === "forward"
        ? `A killed instant rollback left v${orphan.version} unfinished; its cut-over was finished${repair.unhealthy ? ` (it was past its cut-over; its machines are not healthy: ${repair.unhealthy})` : ""}: ${repair.serving.length} restored machine(s) serve, ${repair.parked.length} machine(s) parked.`
        : `A killed instant rollback left v${orphan.version} unfinished; it was put back${repair.unhealthy ? ` (its machines were not healthy: ${repair.unhealthy})` : ""}: ${repair.serving.length} machine(s) of the version that served serve, ${repair.parked.length} machine(s) parked again.`,
  });
  for (const { id, reason } of repair.failed) {
    steps.emit({
      type: "warning",
      message: `${id} was left as the killed instant rollback left it: ${reason}`,
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
