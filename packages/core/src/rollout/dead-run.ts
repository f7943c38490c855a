/**
 * What a killed run left on its machines. Once the next run holds the app lock, the machines a dead semfly
 * run moved (they carry its release id) are judged as the live run would have judged them: started with
 * every check passing and no crash loop, or settled cold, within the wait timeout. When they are not all
 * healthy, every one of them goes back on the exact config it ran before the dead run, read from its own
 * config history (the release records which machines moved, not their configs; Fly keeps each version's
 * `user_config`). A machine whose previous config cannot be read exactly makes the run refuse before it
 * changes anything: a guessed config could strip what the machine had.
 */
import { SemflyError } from "../errors.js";
import type { FlyMachine, MachineConfig } from "../versions/types.js";
import { settleLimit } from "./concurrency.js";
import {
  type DeadInstantRepair,
  deadInstantNote,
  deadInstantStatus,
  isDeadInstant,
  repairDeadInstant,
  warnDeadInstant,
} from "./dead-instant.js";
import { COLD_STATES, waitForVersion, waitHealthy } from "./health.js";
import { LEASE_CONCURRENCY } from "./leases.js";
import { type MachineSteps, revertMachine } from "./machine-steps.js";
import { isCold, type OrphanRelease, type PlannedMachine, type RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";
import { stillInProgress } from "./release-record.js";

export type DeadRunClient = Pick<RolloutClient, "getMachine" | "listMachineVersions">;

/** One machine a dead run moved and this run put back. */
export interface PutBack {
  /** As found: on the dead run's target. */
  found: FlyMachine;
  /** The exact config it ran before the dead run, and runs again. */
  previous: MachineConfig;
  /** As the revert left it. */
  now: FlyMachine;
}

export interface DeadRunRevert {
  orphan: OrphanRelease;
  /** Why the machines were judged unhealthy: the first machine that was not. */
  reason: string;
  putBack: PutBack[];
  /** Machines whose revert failed (they still carry the dead run's release), with why. */
  failed: { id: string; reason: string }[];
}

export interface DeadRunRecovery {
  /** The open orphans as they are to be finished: status and machines brought up to date. */
  orphans: OrphanRelease[];
  /** What each finished record says happened (its `error`, the machines put back), by orphan id. */
  notes: Map<string, { error: string; putBack: string[] }>;
  reverts: DeadRunRevert[];
  /** The user stopped the run while the machines were being judged: those orphans are left as they are. */
  interrupted: boolean;
  /** Killed instant rollbacks finished or put back (their machines may have changed sets). */
  instantRepairs: DeadInstantRepair[];
  /** Dead records left open: a repair Fly refused part of, for the next run to try again. */
  keptOpen: string[];
}

/**
 * Judge the machines each open orphan moved, put them back when they are not healthy, and say how each
 * orphan is to be finished. The caller holds the app lock; machines to put back are leased here.
 */
export async function recoverDeadRuns(
  steps: MachineSteps,
  /** The user's Ctrl-C: it ends the wait for a dead run's machines, and nothing is changed then. */
  stop: AbortSignal,
): Promise<DeadRunRecovery> {
  const { client, plan, signal } = steps;
  const open = await stillInProgress(client, plan, signal);
  const recovery: DeadRunRecovery = {
    orphans: [],
    notes: new Map(),
    reverts: [],
    interrupted: false,
    instantRepairs: [],
    keptOpen: [],
  };
  for (const orphan of plan.orphans.filter((o) => open.has(o.id))) {
    if (isDeadInstant(orphan)) {
      const repair = await repairDeadInstant(steps, orphan, stop);
      if (!repair.judged) {
        // Stopped while judging: neither finished nor put back, for the next run to judge.
        recovery.interrupted = true;
        continue;
      }
      warnDeadInstant(steps, repair);
      recovery.instantRepairs.push(repair);
      // One Fly would not let the repair change stays as the dead run left it: its record stays open, so
      // the next run tries again (a closed record would leave a parked machine running for good).
      if (repair.failed.length > 0) {
        recovery.keptOpen.push(orphan.id);
        continue;
      }
      recovery.orphans.push({ ...orphan, status: deadInstantStatus(repair), machines: [] });
      recovery.notes.set(orphan.id, deadInstantNote(repair));
      continue;
    }
    // Bluegreen moves no machine in place: its green machines have no config to go back to.
    if (orphan.machines.length === 0 || orphan.metadata?.strategy === "bluegreen") {
      recovery.orphans.push(orphan);
      continue;
    }
    // The plan saw them a while ago: only machines that still carry the dead run's release are its.
    const found = (
      await Promise.all(orphan.machines.map((id) => client.getMachine(plan.app, id, { signal })))
    ).filter((m) => m.metadata.fly_release_id === orphan.id);
    if (found.length === 0) {
      recovery.orphans.push({ ...orphan, machines: [] });
      continue;
    }
    // `failed` means every machine of the app is on its target: complete asks all of them to be healthy.
    const judged =
      orphan.status === "failed" ? [...found, ...(await othersOnTarget(steps, found))] : found;
    const unhealthy = await firstUnhealthy(steps, judged, stop);
    if (stop.aborted) {
      // Not judged to the end: neither finished nor put back, for the next run to judge.
      recovery.interrupted = true;
      continue;
    }
    if (!unhealthy) {
      const status = orphan.status === "failed" ? "complete" : orphan.status;
      recovery.orphans.push({ ...orphan, status, machines: found.map((m) => m.id) });
      continue;
    }
    const revert = await putBack(steps, orphan, found, unhealthy);
    recovery.reverts.push(revert);
    const left = revert.failed.map((f) => f.id);
    recovery.orphans.push({ ...orphan, status: "failed", machines: left });
    recovery.notes.set(orphan.id, {
      putBack: revert.putBack.map((p) => p.found.id).sort(),
      error:
        left.length === 0
          ? `The run was killed; its machines were not healthy on its target (${unhealthy}), so a later run put them back on their previous config.`
          : `The run was killed; its machines were not healthy on its target (${unhealthy}), and ${left.join(", ")} could not be put back.`,
    });
  }
  return recovery;
}

/** The reachable machines the plan skipped as already on the target, besides the ones found. */
async function othersOnTarget(steps: MachineSteps, found: readonly FlyMachine[]) {
  const { client, plan, signal } = steps;
  const unreachable = new Set(plan.unreachable.map((u) => u.id));
  const seen = new Set(found.map((m) => m.id));
  const ids = plan.skipped.map((s) => s.id).filter((id) => !unreachable.has(id) && !seen.has(id));
  return Promise.all(ids.map((id) => client.getMachine(plan.app, id, { signal })));
}

/** The first machine that is not healthy within the wait timeout, as "<id>: <why>", or null. */
async function firstUnhealthy(
  steps: MachineSteps,
  machines: readonly FlyMachine[],
  stop: AbortSignal,
): Promise<string | null> {
  const { waiter } = steps;
  const signal = AbortSignal.any([steps.signal, stop]);
  const deadline = Date.now() + waiter.waitTimeoutMs;
  const results = await settleLimit(machines, LEASE_CONCURRENCY, async (machine) => {
    // Settled cold, as a live run leaves a machine that was not running.
    if (COLD_STATES.has(machine.state)) return;
    await waitForVersion(waiter, machine.id, machine.instanceId, "started", deadline, signal);
    const since = machine.updatedAt ? Date.parse(machine.updatedAt) : 0;
    await waitHealthy(waiter, machine.id, since, deadline, signal);
  });
  const index = results.findIndex((r) => r.status === "rejected");
  if (index < 0) return null;
  const failed = results[index] as PromiseRejectedResult;
  return `${machines[index]!.id}: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`;
}

/**
 * Every machine the dead run moved back on its exact previous config. Every previous config is read before
 * any machine changes, so a machine whose config cannot be recovered leaves the app as it was found.
 */
async function putBack(
  steps: MachineSteps,
  orphan: OrphanRelease,
  found: readonly FlyMachine[],
  reason: string,
): Promise<DeadRunRevert> {
  const { client, plan, signal, emit } = steps;
  // Judging only reads; changing them asks for their leases (the app lock keeps other semfly runs out).
  await steps.leases.takeMore(found.map((m) => m.id));
  const previous = await Promise.all(
    found.map((m) => previousConfig(client, plan.app, m, orphan.id, signal)),
  );
  const unknown = found.filter((_, i) => previous[i] === null).map((m) => m.id);
  if (unknown.length > 0) throw previousUnknownError(orphan, unknown, reason);
  emit({
    type: "warning",
    message: `A killed run left v${orphan.version} unfinished and its machines not healthy (${reason}): putting ${found.length === 1 ? "it" : `all ${found.length}`} back on the exact config ${found.length === 1 ? "it" : "each"} ran before.`,
  });
  const revert: DeadRunRevert = { orphan, reason, putBack: [], failed: [] };
  await settleLimit(found, LEASE_CONCURRENCY, async (machine, i) => {
    const config = previous[i]!;
    emit({ type: "machine-reverting", machineId: machine.id });
    try {
      const now = await revertMachine(steps, {
        id: machine.id,
        region: machine.region,
        cold: isCold(machine),
        currentConfig: config,
      });
      revert.putBack.push({ found: machine, previous: config, now });
      emit({ type: "machine-reverted", machineId: machine.id });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      revert.failed.push({ id: machine.id, reason: why });
      emit({ type: "revert-failed", machineId: machine.id, reason: why });
    }
  });
  return revert;
}

/**
 * The config the machine ran before the dead run: in its own history, the newest version that does not
 * carry the dead run's release, when every version after it does and the newest is the one it runs now.
 * Anything else (a change by hand since, a machine the dead run created, a history that cannot be read)
 * is not exact: null.
 */
export async function previousConfig(
  client: Pick<RolloutClient, "listMachineVersions">,
  app: string,
  machine: FlyMachine,
  releaseId: string,
  signal: AbortSignal,
): Promise<MachineConfig | null> {
  let versions: { version: string; config: MachineConfig }[];
  try {
    versions = await client.listMachineVersions(app, machine.id, { signal });
  } catch {
    return null;
  }
  // Version ids are ULIDs: their order is the order they were made in.
  const ordered = [...versions].sort((a, b) => a.version.localeCompare(b.version));
  const newest = ordered.at(-1);
  if (!newest || newest.version !== machine.instanceId) return null;
  const carries = (v: { config: MachineConfig }) =>
    v.config?.metadata?.fly_release_id === releaseId;
  let index = ordered.length - 1;
  while (index >= 0 && carries(ordered[index]!)) index--;
  if (index < 0 || index === ordered.length - 1) return null;
  return ordered[index]!.config;
}

function previousUnknownError(
  orphan: OrphanRelease,
  machines: readonly string[],
  reason: string,
): SemflyError {
  return new SemflyError({
    code: "DEAD_RUN_PREVIOUS_UNKNOWN",
    message: `A killed run left v${orphan.version} unfinished and its machines not healthy (${reason}), but the config ${machines.join(", ")} ran before it cannot be read exactly from the machine's history; nothing was changed.`,
    suggestion:
      "Roll back to a version with `semfly rollback <version>` (it sends each machine that version's image on the config it has now), or fix the machines by hand.",
  });
}

/**
 * A plan's machine after its dead run's machine was put back: it moves from the config it runs again,
 * and a revert of this run puts that config back.
 */
export function replanPutBack(
  machine: PlannedMachine,
  put: PutBack,
  plan: Pick<RolloutPlan, "machines">,
): void {
  const target = machine.targetConfig;
  if (machine.configSource === "current") {
    machine.targetConfig = {
      ...put.previous,
      image: target.image,
      metadata: { ...(put.previous.metadata ?? {}) },
    };
  }
  machine.currentConfig = put.previous;
  machine.instanceId = put.now.instanceId;
  machine.state = put.now.state;
  machine.from = fromOf(put.previous, plan);
}

/** A machine put back as planned for a result: from the dead run's target back to its previous config. */
export function putBackMachine(put: PutBack, plan: Pick<RolloutPlan, "machines">): PlannedMachine {
  const { found } = put;
  return {
    id: found.id,
    name: found.name,
    region: found.region,
    processGroup: found.processGroup,
    state: put.now.state,
    instanceId: put.now.instanceId,
    from: fromOf(put.previous, plan),
    currentConfig: put.previous,
    targetConfig: found.config,
    configSource: "current",
    cold: isCold(found),
  };
}

/** What a config's image is, as another planned machine on the same image knows it, else its digest. */
function fromOf(config: MachineConfig, plan: Pick<RolloutPlan, "machines">) {
  const same = plan.machines.find((m) => m.currentConfig.image === config.image && m.from);
  if (same?.from) return same.from;
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(config.image)?.[1] ?? null;
  return digest ? { key: digest, version: null, digest } : null;
}
