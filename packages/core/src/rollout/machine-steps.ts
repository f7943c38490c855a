/**
 * What happens to one machine: the update (resent safely, read back when its answer was lost), the wait
 * until it is healthy or settled cold, the one-off verification of a cold representative, and the revert.
 */
import { isSemflyError } from "../errors.js";
import type { FlyMachine, MachineConfig } from "../versions/types.js";
import { sleep } from "./concurrency.js";
import type { RolloutEvent } from "./events.js";
import { type HealthWaiter, waitForVersion, waitHealthy } from "./health.js";
import type { LeaseKeeper } from "./leases.js";
import { configForRelease, type PlannedMachine, type RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";

/** Re-sends of a revert that met our own lease, re-taken with a new nonce while the revert was on its way. */
const OWN_LEASE_RESENDS = 3;

export interface MachineSteps {
  client: RolloutClient;
  plan: RolloutPlan;
  leases: LeaseKeeper;
  waiter: HealthWaiter;
  /** The engine's own signal: work in flight finishes even after the user interrupts. */
  signal: AbortSignal;
  emit: (event: RolloutEvent) => void;
}

/** Update one machine to the target and wait until it is healthy (or settled cold, and verified if asked). */
export async function updateMachine(
  steps: MachineSteps,
  machine: PlannedMachine,
  release: { id: string; version: number },
  stop: AbortSignal,
): Promise<void> {
  const { waiter, emit } = steps;
  const config = configForRelease(machine.targetConfig, release);
  const sentAt = Date.now();
  const updated = await sendUpdate(steps, machine, config);
  emit({ type: "machine-updated", machineId: machine.id });
  // Exits are counted from the update on, by Fly's clock when it says.
  const since = updated.updatedAt ? Date.parse(updated.updatedAt) : sentAt;
  const deadline = Date.now() + waiter.waitTimeoutMs;
  const signal = AbortSignal.any([steps.signal, stop]);
  if (machine.cold) {
    await waitForVersion(waiter, machine.id, updated.instanceId, "cold", deadline, signal);
    if (steps.plan.verifyCold.includes(machine.id)) {
      await verifyCold(steps, machine, updated.instanceId, since, deadline, signal);
    }
    emit({ type: "machine-settled", machineId: machine.id, state: "cold" });
    return;
  }
  await waitForVersion(waiter, machine.id, updated.instanceId, "started", deadline, signal);
  emit({ type: "machine-started", machineId: machine.id });
  await waitHealthy(waiter, machine.id, since, deadline, signal);
  emit({ type: "checks-passing", machineId: machine.id });
}

/**
 * The update is resent on 502/503/reset (it carries `current_version`). If an earlier try had landed, Fly
 * refuses the resend because the version moved: the machine is read back, and if it runs the config
 * sent, the update is done.
 */
async function sendUpdate(
  steps: MachineSteps,
  machine: PlannedMachine,
  config: MachineConfig,
): Promise<FlyMachine> {
  const { client, plan, signal } = steps;
  try {
    return await client.updateMachine(
      plan.app,
      machine.id,
      {
        config,
        nonce: steps.leases.nonce(machine.id),
        currentVersion: machine.instanceId,
        region: machine.region,
        skipLaunch: machine.cold,
      },
      { signal },
    );
  } catch (error) {
    if (!(isSemflyError(error) && error.code === "CONFLICT")) throw error;
    const now = await client.getMachine(plan.app, machine.id, { signal });
    if (runsConfig(now, config)) return now;
    throw error;
  }
}

/** The machine runs the config an update sent: same image, same release. */
function runsConfig(machine: FlyMachine, config: MachineConfig): boolean {
  return (
    machine.config.image === config.image &&
    machine.metadata.fly_release_id === config.metadata?.fly_release_id
  );
}

/** Start one cold machine, wait for its checks, and put it back to sleep as it was. */
async function verifyCold(
  steps: MachineSteps,
  machine: PlannedMachine,
  version: string,
  since: number,
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  const { client, plan, waiter } = steps;
  const nonce = () => ({ nonce: steps.leases.nonce(machine.id) });
  await client.startMachine(plan.app, machine.id, nonce(), { signal: steps.signal });
  try {
    await waitForVersion(waiter, machine.id, version, "started", deadline, signal);
    await waitHealthy(waiter, machine.id, since, deadline, signal);
    steps.emit({ type: "machine-verified", machineId: machine.id });
  } finally {
    await putToSleep(steps, machine, nonce);
  }
  await waitForVersion(waiter, machine.id, version, "cold", deadline, signal);
}

async function putToSleep(
  steps: MachineSteps,
  machine: PlannedMachine,
  nonce: () => { nonce: string | undefined },
): Promise<void> {
  const { client, plan, signal } = steps;
  if (machine.state === "suspended") {
    try {
      await client.suspendMachine(plan.app, machine.id, nonce(), { signal });
      return;
    } catch {
      // Older Machines APIs have no suspend: stopped is the closest cold state.
    }
  }
  await client.stopMachine(plan.app, machine.id, nonce(), { signal });
}

/**
 * Send the machine's exact previous config and wait for it to settle as it was. A revert may be resent
 * on any transient failure (the same old config ends in the same state), and giving up on one would
 * leave the app half on the target.
 */
export async function revertMachine(
  steps: MachineSteps,
  machine: Pick<PlannedMachine, "id" | "region" | "cold" | "currentConfig">,
): Promise<FlyMachine> {
  const { client, plan, leases, waiter, signal } = steps;
  let reverted: FlyMachine | null = null;
  for (let resend = 0; !reverted; resend++) {
    const sent = leases.nonce(machine.id);
    try {
      reverted = await client.updateMachine(
        plan.app,
        machine.id,
        {
          config: machine.currentConfig,
          ...(sent ? { nonce: sent } : {}),
          region: machine.region,
          skipLaunch: machine.cold,
        },
        { signal, retry: { repeatable: true } },
      );
    } catch (error) {
      // Our own lease, re-taken by a refresh while this try was on its way, answers like a stranger's:
      // send again with the new nonce.
      const ownLease =
        isSemflyError(error) &&
        error.code === "LEASE_CONFLICT" &&
        (leases.isRefreshing(machine.id) || leases.nonce(machine.id) !== sent);
      if (!ownLease || resend >= OWN_LEASE_RESENDS) throw error;
      await sleep(waiter.timing.checkPollMinMs, signal);
    }
  }
  const deadline = Date.now() + Math.min(60_000, waiter.waitTimeoutMs);
  await waitForVersion(
    waiter,
    machine.id,
    reverted.instanceId,
    machine.cold ? "cold" : "started",
    deadline,
    signal,
  );
  return reverted;
}
