/**
 * What a killed instant rollback left, made whole once the next run holds the app lock. Such a run may die
 * anywhere between waking the parked set and parking the current one, and what it leaves is on the
 * machines themselves and in its record (which names both sets before any machine changes):
 * - machines of either set labelled parked that run (woken, or half parked in exchange) go back to sleep;
 * - machines it un-parked (they carry its release id, no park labels) are put in service (uncordoned) once
 *   healthy, as its cut-over would have; one that is not healthy is taken out of service (cordoned) when
 *   the previous version serves beside it, and is named either way;
 * - the machines that served before it are uncordoned, however far its cut-over got.
 * Cordon and uncordon can be sent twice, so nothing here needs to know how far the cut-over got (Fly's
 * machine object is not sure to say whether a machine is cordoned). The app ends with the machines of both
 * versions that are in service serving, as after a killed rolling run; the run that found it then does
 * what it was asked.
 */
import { isParked, parkedMachine } from "../versions/parked.js";
import type { FlyMachine } from "../versions/types.js";
import { backToSleep } from "./back-to-sleep.js";
import { settleLimit } from "./concurrency.js";
import { waitFleetHealthy } from "./fleet-health.js";
import { COLD_STATES } from "./health.js";
import { LEASE_CONCURRENCY } from "./leases.js";
import type { MachineSteps } from "./machine-steps.js";
import type { OrphanRelease } from "./plan.js";

export interface DeadInstantRepair {
  orphan: OrphanRelease;
  /** Parked machines found awake and put back to sleep. */
  asleep: string[];
  /** Machines put (back) in service: the un-parked ones that are healthy, and the ones that served before. */
  inService: string[];
  /** Un-parked machines that are not healthy, and why; out of service when the previous version serves. */
  unhealthy: { id: string; reason: string }[];
  /** Machines the repair could not change, and why. */
  failed: { id: string; reason: string }[];
}

/** A record an instant rollback wrote: its mode, and the two sets it named. */
export function isDeadInstant(orphan: OrphanRelease): boolean {
  return orphan.metadata?.mode === "instant";
}

export async function repairDeadInstant(
  steps: MachineSteps,
  orphan: OrphanRelease,
): Promise<DeadInstantRepair> {
  const { client, plan, leases, signal } = steps;
  const notes = orphan.metadata ?? {};
  const named = (key: string) =>
    new Set(Array.isArray(notes[key]) ? (notes[key] as unknown[]).map(String) : []);
  const sets = new Set([orphan.id, String(notes.parkedSet ?? "")]);
  const machines = await client.listMachines(plan.app, { signal });
  // A record from a semfly before both sets were named (mode and parked set only): its un-parked machines
  // carry its release id, and the ones that served are the managed machines that do not.
  const legacy = !Array.isArray(notes.restoring) && !Array.isArray(notes.replacing);
  const managed = new Set(plan.machines.map((m) => m.id));
  const restoring = legacy
    ? new Set(machines.filter((m) => m.metadata.fly_release_id === orphan.id).map((m) => m.id))
    : named("restoring");
  const replacing = legacy
    ? new Set(
        machines
          .filter((m) => managed.has(m.id) && m.metadata.fly_release_id !== orphan.id)
          .map((m) => m.id),
      )
    : named("replacing");
  const awake = machines.filter(
    (m) =>
      isParked(m) &&
      sets.has(parkedMachine(m)?.set ?? "") &&
      !COLD_STATES.has(m.state) &&
      m.state !== "failed",
  );
  const unparked = machines.filter(
    (m) => !isParked(m) && m.metadata.fly_release_id === orphan.id && restoring.has(m.id),
  );
  const served = machines.filter(
    (m) => !isParked(m) && replacing.has(m.id) && !unparked.includes(m),
  );
  const repair: DeadInstantRepair = {
    orphan,
    asleep: [],
    inService: [],
    unhealthy: [],
    failed: [],
  };
  await leases.takeMore([...awake, ...unparked, ...served].map((m) => m.id));
  const each = async (
    list: readonly FlyMachine[],
    work: (m: FlyMachine) => Promise<void>,
    done: string[],
  ) => {
    const results = await settleLimit(list, LEASE_CONCURRENCY, work);
    results.forEach((r, i) => {
      const id = list[i]!.id;
      if (r.status === "fulfilled") done.push(id);
      else repair.failed.push({ id, reason: describe(r.reason) });
    });
  };
  const cordon = (m: FlyMachine, on: boolean) =>
    client.setCordon(plan.app, m.id, on, { nonce: leases.nonce(m.id) }, { signal });

  await each(awake, (m) => backToSleep(steps, m, null), repair.asleep);
  await each(served, (m) => cordon(m, false), repair.inService);

  const started = unparked.filter((m) => !COLD_STATES.has(m.state));
  const verdict =
    started.length === 0
      ? null
      : await waitFleetHealthy(
          { ...steps.waiter, client },
          started.map((m) => ({ id: m.id, since: m.updatedAt ? Date.parse(m.updatedAt) : 0 })),
          Date.now() + steps.waiter.waitTimeoutMs,
          signal,
        ).catch((error: unknown) => ({ machineId: started[0]!.id, reason: describe(error) }));
  // One look decides for the set, as the live run's did: a failure stops the others' wait, so each one
  // not judged healthy by then counts as not healthy.
  const healthy = verdict ? unparked.filter((m) => COLD_STATES.has(m.state)) : unparked;
  const sick = unparked.filter((m) => !healthy.includes(m));
  await each(healthy, (m) => cordon(m, false), repair.inService);
  for (const m of sick) {
    repair.unhealthy.push({
      id: m.id,
      reason: m.id === verdict?.machineId ? verdict.reason : "its set was not healthy",
    });
  }
  // Out of service only with the previous version serving beside it: never leave nothing serving.
  if (repair.inService.some((id) => served.some((m) => m.id === id && m.state === "started"))) {
    await each(sick, (m) => cordon(m, true), []);
  }
  return repair;
}

/** What the dead run's record says once repaired. */
export function deadInstantNote(repair: DeadInstantRepair): { error: string; putBack: string[] } {
  const parts = [
    "The run was killed during an instant rollback; a later run made the app whole:",
    `${repair.inService.length} machine(s) in service`,
    `${repair.asleep.length} parked machine(s) back to sleep`,
  ];
  if (repair.unhealthy.length > 0) {
    parts.push(
      `not healthy on the target: ${repair.unhealthy.map((u) => `${u.id} (${u.reason})`).join(", ")}`,
    );
  }
  if (repair.failed.length > 0) {
    parts.push(`not changed: ${repair.failed.map((f) => `${f.id} (${f.reason})`).join(", ")}`);
  }
  return {
    error: `${parts[0]} ${parts.slice(1).join("; ")}.`,
    putBack: [...repair.inService, ...repair.asleep].sort(),
  };
}

/** Said on the way: what a killed instant rollback's repair could not make healthy or change. */
export function warnDeadInstant(steps: Pick<MachineSteps, "emit">, repair: DeadInstantRepair) {
  const { orphan } = repair;
  if (repair.asleep.length + repair.inService.length > 0) {
    steps.emit({
      type: "warning",
      message: `A killed instant rollback left v${orphan.version} unfinished: ${repair.inService.length} machine(s) put back in service, ${repair.asleep.length} parked machine(s) put back to sleep.`,
    });
  }
  for (const { id, reason } of repair.unhealthy) {
    steps.emit({
      type: "warning",
      message: `${id}, un-parked by the killed run, is not healthy (${reason}): it was left out of service where the previous version serves.`,
    });
  }
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
