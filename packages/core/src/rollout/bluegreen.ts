/**
 * Bluegreen: a green machine beside every blue one, the cut-over only once every green is healthy, and the
 * blue machines parked (cordoned; suspended, or stopped without services) for an instant rollback, or destroyed with
 * `--keep-previous 0`. Until the cut-over the blue machines are never touched: a failure destroys green.
 */
import { isSemflyError } from "../errors.js";
import {
  type ParkLabel,
  parkedConfig,
  suspendAllowed,
  suspendParkMetadata,
} from "../versions/parked.js";
import type { FlyMachine, MachineConfig } from "../versions/types.js";
import { settleLimit, sleep } from "./concurrency.js";
import { trimParkedSets } from "./destroy-parked.js";
import { waitForVersion, waitHealthy } from "./health.js";
import { LEASE_CONCURRENCY } from "./leases.js";
import type { MachineSteps } from "./machine-steps.js";
import { configForRelease, type PlannedMachine } from "./plan.js";
import { endOfRun, type MachineResult, type RolloutStatus } from "./result.js";

/** The idempotency key of a green machine: after an ambiguous create, the machine is found by it. */
export const LAUNCH_ID_KEY = "semfly_bluegreen_launch_id";
/** Creates tried per green machine when each answer was ambiguous and no machine was found by its key. */
const CREATE_TRIES = 3;

export interface BluegreenInput {
  steps: MachineSteps;
  release: { id: string; version: number };
  /** How long blue stays parked; 0 destroys it after the cut-over. */
  keepPreviousMs: number;
  /** `--keep`: the most parked sets the app may have after the cut-over, this one included. */
  keepSets: number;
  interrupted: () => boolean;
  /** The user's interrupt: a create still waiting for its rate-limit slot is then never sent. */
  interruptSignal?: AbortSignal | undefined;
  setResult: (id: string, result: MachineResult, error?: string, replacedBy?: string) => void;
}

export interface BluegreenEnd {
  /** The first failure, or null. */
  failure: string | null;
  /** Before the cut-over, every green machine was destroyed and blue is as it was. */
  reverted: boolean;
  /** The green machines now serving (what the release names as moved). */
  moved: string[];
  /** Interrupted before the cut-over: nothing changed. */
  stopped: boolean;
}

/** The run's end as the engine reports it. */
export async function rollBluegreen(input: BluegreenInput): Promise<{
  status: RolloutStatus;
  reason: string | null;
  reverted: boolean;
  moved: string[];
}> {
  const end = await runBluegreen(input);
  const untouched = "every green machine was destroyed and blue was not touched";
  if (end.failure) {
    const reason = end.reverted ? `${end.failure}; ${untouched}.` : `${end.failure}.`;
    return { status: "failed", reason, reverted: end.reverted, moved: end.moved };
  }
  if (end.stopped) {
    const reason = `Interrupted before the cut-over: ${untouched}.`;
    return { status: "interrupted", reason, reverted: false, moved: [] };
  }
  const { plan, client, emit, signal } = input.steps;
  await trimParkedSets(client, plan.app, {
    keep: input.keepSets,
    newest: input.keepPreviousMs > 0 ? input.release.id : null,
    signal,
    emit,
  });
  const done = endOfRun({ plan, failure: null, reverted: false, interrupted: false, updated: 0 });
  return { ...done, reverted: false, moved: end.moved };
}

interface Pair {
  blue: PlannedMachine;
  green: FlyMachine | null;
  error?: string;
}

export async function runBluegreen(input: BluegreenInput): Promise<BluegreenEnd> {
  const { steps } = input;
  const pairs: Pair[] = steps.plan.machines.map((blue) => ({ blue, green: null }));
  const failure = await launchGreen(input, pairs);
  if (failure !== null || input.interrupted()) {
    const destroyed = await destroyGreen(input, pairs);
    // Blue never changed: the machine whose green failed says why, the others did not move.
    for (const pair of pairs) {
      if (pair.error) input.setResult(pair.blue.id, "failed", pair.error);
      else input.setResult(pair.blue.id, "not-started");
    }
    return {
      failure,
      reverted: failure !== null && destroyed,
      moved: [],
      stopped: failure === null,
    };
  }
  // The cut-over: green takes traffic first, then blue stops taking it.
  try {
    await settleAll(pairs, (pair) =>
      steps.client.setCordon(steps.plan.app, pair.green!.id, false, {}, { signal: steps.signal }),
    );
    await settleAll(pairs, (pair) =>
      retireMachine(steps, pair.blue, input.keepPreviousMs, input.release.id),
    );
  } catch (error) {
    return {
      failure: `The cut-over to green failed: ${describe(error)}; green is serving, some blue machines may still be too.`,
      reverted: false,
      moved: pairs.map((p) => p.green!.id),
      stopped: false,
    };
  }
  for (const pair of pairs) input.setResult(pair.blue.id, "updated", undefined, pair.green?.id);
  return { failure: null, reverted: false, moved: pairs.map((p) => p.green!.id), stopped: false };
}

/** Create and verify every green machine; the reason of the first failure, or null. */
async function launchGreen(input: BluegreenInput, pairs: Pair[]): Promise<string | null> {
  const { steps, release } = input;
  const stop = new AbortController();
  const signal = AbortSignal.any([steps.signal, stop.signal]);
  let cause: string | null = null;
  // A standby watches a primary by id (`config.standbys`): green standbys are created once the green
  // primaries exist, watching those, never the blue machines that are about to be parked.
  const greenOf = new Map<string, string>();
  const standby = (pair: Pair) => standbysOf(pair.blue.targetConfig).length > 0;
  const launch = async (pair: Pair) => {
    if (stop.signal.aborted || input.interrupted()) return;
    try {
      const config = greenConfig(pair.blue, release, greenOf);
      const sentAt = Date.now();
      pair.green = await createGreen(input, pair.blue, config);
      greenOf.set(pair.blue.id, pair.green.id);
      steps.emit({ type: "machine-updated", machineId: pair.blue.id });
      const deadline = Date.now() + steps.waiter.waitTimeoutMs;
      const version = pair.green.instanceId;
      if (pair.blue.cold) {
        await waitForVersion(steps.waiter, pair.green.id, version, "cold", deadline, signal);
        steps.emit({ type: "machine-settled", machineId: pair.blue.id, state: "cold" });
        return;
      }
      await waitForVersion(steps.waiter, pair.green.id, version, "started", deadline, signal);
      steps.emit({ type: "machine-started", machineId: pair.blue.id });
      await waitHealthy(steps.waiter, pair.green.id, sentAt, deadline, signal);
      steps.emit({ type: "checks-passing", machineId: pair.blue.id });
    } catch (error) {
      // Interrupted while its create waited for a slot: nothing was sent, the machine did not start.
      if (pair.green === null && input.interrupted()) return;
      const reason = `green ${pair.green?.id ?? "machine"}: ${describe(error)}`;
      pair.error = reason;
      steps.emit({ type: "machine-failed", machineId: pair.blue.id, reason });
      cause ??= `Machine ${pair.blue.id} failed: ${reason}`;
      stop.abort();
    }
  };
  await settleLimit(
    pairs.filter((p) => !standby(p)),
    LEASE_CONCURRENCY,
    launch,
  );
  await settleLimit(pairs.filter(standby), LEASE_CONCURRENCY, launch);
  return cause;
}

/** The machines a standby watches (`config.standbys`); none for a machine that is not a standby. */
function standbysOf(config: MachineConfig): string[] {
  const standbys = (config as { standbys?: unknown }).standbys;
  return Array.isArray(standbys)
    ? standbys.filter((id): id is string => typeof id === "string")
    : [];
}

/**
 * The blue machine's target config under this release, with the green machine's idempotency key; a
 * standby watches the green primaries (`greenOf`: blue id → green id) instead of the blue ones.
 */
function greenConfig(
  blue: PlannedMachine,
  release: { id: string; version: number },
  greenOf: ReadonlyMap<string, string>,
): MachineConfig {
  const config = configForRelease(blue.targetConfig, release);
  const watched = standbysOf(config).map((id) => greenOf.get(id) ?? id);
  const env = (config.env ?? {}) as Record<string, unknown>;
  return {
    ...config,
    ...(watched.length > 0 ? { standbys: watched } : {}),
    ...(watched.length > 0 && typeof env.FLY_STANDBY_FOR === "string"
      ? { env: { ...env, FLY_STANDBY_FOR: watched.join(",") } }
      : {}),
    metadata: { ...(config.metadata ?? {}), [LAUNCH_ID_KEY]: `${release.id}-${blue.id}` },
  };
}

/**
 * A create is never resent blindly (it would launch a second machine): after an answer that may hide an
 * applied create (a timeout, a 5xx, a lost connection) the app's machines are listed by the idempotency
 * key, and the create is sent again only when none carries it.
 */
async function createGreen(
  input: BluegreenInput,
  blue: PlannedMachine,
  config: MachineConfig,
): Promise<FlyMachine> {
  const { client, plan, signal } = input.steps;
  const key = config.metadata![LAUNCH_ID_KEY]!;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.createMachine(
        plan.app,
        {
          config,
          region: blue.region,
          skipLaunch: blue.cold,
          skipServiceRegistration: true,
        },
        { signal, queueSignal: input.interruptSignal },
      );
    } catch (error) {
      if (!ambiguous(error) || attempt >= CREATE_TRIES) throw error;
      const machines = await client.listMachines(plan.app, { signal });
      const landed = machines.find(
        (m) => m.metadata[LAUNCH_ID_KEY] === key && m.state !== "destroyed",
      );
      if (landed) return landed;
    }
  }
}

/** The request may have been applied: no answer, a timeout or a server error. */
function ambiguous(error: unknown): boolean {
  if (!isSemflyError(error)) return true;
  if (error.kind === "input") return false;
  return error.status === undefined || error.status === 408 || error.status >= 500;
}

/**
 * A machine that stops serving at a cut-over (blue, or the current set of an instant rollback): cordoned,
 * then parked for `keepPreviousMs`, or destroyed when that is 0.
 */
export async function retireMachine(
  steps: MachineSteps,
  machine: PlannedMachine,
  keepPreviousMs: number,
  set: string,
): Promise<void> {
  const { client, plan, leases, signal } = steps;
  await client.setCordon(
    plan.app,
    machine.id,
    true,
    { nonce: leases.nonce(machine.id) },
    { signal },
  );
  await parkMachine(steps, machine, keepPreviousMs, set);
}

/**
 * A cordoned machine out of service: destroyed with `keepPreviousMs` 0, else parked. A running machine the
 * config allows to suspend is parked suspended (labels written first, config untouched, so a start resumes
 * it); when Fly refuses the suspend it is parked stopped like the rest: stopped, then its services taken
 * off (the config kept aside in metadata) with no launch.
 */
export async function parkMachine(
  steps: MachineSteps,
  machine: PlannedMachine,
  keepPreviousMs: number,
  set: string,
): Promise<void> {
  const { client, plan, leases, signal } = steps;
  const nonce = () => ({ nonce: leases.nonce(machine.id) });
  if (keepPreviousMs <= 0) {
    await client.destroyMachine(plan.app, machine.id, { signal, ...nonce() });
    return;
  }
  const label = {
    set,
    version: machine.from?.version ?? machine.from?.key ?? null,
    digest: machine.from?.digest ?? null,
    expiresAt: new Date(Date.now() + keepPreviousMs).toISOString(),
    parkedAt: new Date().toISOString(),
    cold: machine.cold,
  };
  if (!machine.cold && suspendAllowed(machine.currentConfig)) {
    if (await parkSuspended(steps, machine, label)) return;
  }
  if (!machine.cold) {
    await client.stopMachine(plan.app, machine.id, nonce(), { signal });
    const deadline = Date.now() + steps.waiter.waitTimeoutMs;
    await waitForVersion(steps.waiter, machine.id, machine.instanceId, "cold", deadline, signal);
  }
  await client.updateMachine(
    plan.app,
    machine.id,
    {
      config: parkedConfig(machine.currentConfig, label),
      nonce: leases.nonce(machine.id),
      region: machine.region,
      // Parked machines stay asleep: an update would otherwise start a stopped machine.
      skipLaunch: true,
    },
    { signal, retry: { repeatable: true } },
  );
}

/**
 * Labels, then suspend, then wait until suspended. False when Fly refused the suspend (any answer but an
 * abort): the caller parks it stopped instead, and the full parked config it writes replaces the labels.
 */
async function parkSuspended(
  steps: MachineSteps,
  machine: PlannedMachine,
  label: ParkLabel,
): Promise<boolean> {
  const { client, plan, leases, signal } = steps;
  await client.patchMachineMetadata(
    plan.app,
    machine.id,
    suspendParkMetadata(machine.currentConfig.metadata ?? {}, label),
    { nonce: leases.nonce(machine.id), signal },
  );
  try {
    await client.suspendMachine(
      plan.app,
      machine.id,
      { nonce: leases.nonce(machine.id) },
      { signal },
    );
  } catch (error) {
    if (signal.aborted) throw error;
    steps.emit({
      type: "warning",
      message: `Machine ${machine.id} could not be suspended (${describe(error)}); it is parked stopped.`,
    });
    return false;
  }
  await waitSuspended(steps, machine);
  return true;
}

/** `wait?state=suspended` (newer API); an API that refuses that state, or a slice that ends, gets a look. */
export async function waitSuspended(
  steps: MachineSteps,
  machine: Pick<PlannedMachine, "id" | "instanceId">,
): Promise<void> {
  const { client, plan, signal, waiter } = steps;
  const deadline = Date.now() + waiter.waitTimeoutMs;
  for (;;) {
    const remaining = Math.ceil((deadline - Date.now()) / 1000);
    if (remaining <= 0) throw new Error(`machine ${machine.id} did not reach suspended in time`);
    try {
      await client.waitForState(
        plan.app,
        machine.id,
        {
          state: "suspended",
          timeoutSeconds: Math.min(remaining, waiter.timing.waitSliceSeconds),
          version: machine.instanceId,
        },
        { signal },
      );
      return;
    } catch (error) {
      if (signal.aborted) throw error;
      const now = await client.getMachine(plan.app, machine.id, { signal });
      // Suspended, or stopped (Fly may drop a snapshot): asleep either way, and parked.
      if (now.state === "suspended" || now.state === "stopped") return;
      if (now.state === "failed") throw new Error(`machine ${machine.id} is failed`);
      await sleep(waiter.timing.checkPollMinMs, signal);
    }
  }
}

/** Before the cut-over: every green machine that was created goes, blue was never touched. */
async function destroyGreen(input: BluegreenInput, pairs: Pair[]): Promise<boolean> {
  const { client, plan, signal } = input.steps;
  const created = pairs.filter((p) => p.green !== null);
  const results = await settleLimit(created, LEASE_CONCURRENCY, (pair) =>
    client.destroyMachine(plan.app, pair.green!.id, { signal }),
  );
  return results.every((r) => r.status === "fulfilled");
}

async function settleAll(pairs: Pair[], work: (pair: Pair) => Promise<void>): Promise<void> {
  const results = await settleLimit(pairs, LEASE_CONCURRENCY, work);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
