/**
 * A machine of a parked set found awake, put back to sleep as parked: after an instant rollback failed
 * before its cut-over, or once a killed one is found. A parked machine is always asleep, so nothing that
 * runs is labelled parked for long (gc never destroys one that runs).
 */
import { isParked, metadataUndo, parkedMachine, stoppedParkConfig } from "../versions/parked.js";
import type { FlyMachine } from "../versions/types.js";
import { waitSuspended } from "./bluegreen.js";
import { COLD_STATES, waitForVersion } from "./health.js";
import type { MachineSteps } from "./machine-steps.js";

/**
 * `parked` is the machine as it was parked (labels and config); `labelsOff`, the metadata write that may
 * have taken its labels off since (its undo puts them back). One parked stopped goes back to its exact
 * parked config (no services); one parked suspended is suspended again with its config or, when Fly
 * refuses, parked stopped without services: never left stopped with its services, where autostart could
 * wake it.
 */
export async function backToSleep(
  steps: MachineSteps,
  parked: FlyMachine,
  labelsOff: Readonly<Record<string, string | null>> | null,
): Promise<void> {
  const { client, plan, leases, signal } = steps;
  const nonce = () => ({ nonce: leases.nonce(parked.id) });
  const suspendMode = parkedMachine(parked)?.suspendMode ?? false;
  const now = await client.getMachine(plan.app, parked.id, { signal });
  // Its labels back first (one parked stopped gets them back with its config below), so a machine asleep
  // again is labelled parked again.
  if (suspendMode && labelsOff && !isParked(now)) {
    await client.patchMachineMetadata(
      plan.app,
      parked.id,
      metadataUndo(parked.config.metadata ?? {}, labelsOff),
      { ...nonce(), signal },
    );
  }
  // Never woken: still exactly as parked (a suspended one with its snapshot; one stopped with its services
  // would be parked stopped below).
  const asleep = suspendMode ? now.state === "suspended" : COLD_STATES.has(now.state);
  if (now.instanceId === parked.instanceId && asleep) return;
  if (suspendMode && now.state === "started") {
    try {
      await client.suspendMachine(plan.app, parked.id, nonce(), { signal });
      await waitSuspended(steps, now);
      const after = await client.getMachine(plan.app, parked.id, { signal });
      if (after.state === "suspended") return;
    } catch (error) {
      if (signal.aborted) throw error;
      steps.emit({
        type: "warning",
        message: `Parked machine ${parked.id} could not be suspended again (${error instanceof Error ? error.message : String(error)}); it is parked stopped.`,
      });
    }
  }
  const current = await client.getMachine(plan.app, parked.id, { signal });
  if (!["stopped", "suspended", "created", "failed"].includes(current.state)) {
    await client.stopMachine(plan.app, parked.id, nonce(), { signal });
    const deadline = Date.now() + steps.waiter.waitTimeoutMs;
    await waitForVersion(steps.waiter, parked.id, current.instanceId, "cold", deadline, signal);
  }
  await client.updateMachine(
    plan.app,
    parked.id,
    {
      config: stoppedParkConfig(parked.config),
      nonce: leases.nonce(parked.id),
      region: parked.region,
      skipLaunch: true,
    },
    { signal, retry: { repeatable: true } },
  );
}
