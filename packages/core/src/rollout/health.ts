/**
 * When a machine counts as settled and healthy on its new version: a started machine has every configured
 * check reported and passing and does not crash-loop; a cold machine has settled, still cold, on the new
 * version. Each wait is sliced so that a machine that failed is noticed long before the wait timeout.
 */
import { isSemflyError } from "../errors.js";
import type { FlyMachine, MachineCheck, MachineEvent } from "../versions/types.js";
import { sleep } from "./concurrency.js";
import { configuredCheckCount } from "./plan.js";
import type { RolloutClient } from "./port.js";
import type { RolloutTiming } from "./timing.js";

/** Checks that stay critical this many polls in a row fail the machine (one critical poll may be boot noise). */
const CRITICAL_POLLS_TO_FAIL = 3;
/** States a machine does not leave by itself: waiting longer will not start it. */
const FAILED_STATES: ReadonlySet<string> = new Set(["failed", "destroyed", "destroying"]);
/** Where a cold machine settles after a `skip_launch` update. */
export const COLD_STATES: ReadonlySet<string> = new Set(["stopped", "suspended", "created"]);
/** flyctl's `isConstantlyRestarting`: this many unrequested, non-zero exits mean the image is crashing. */
const CRASH_EXITS = 2;
/** flaps inserts these fake checks for old flyctl versions; fly-go removes them (`RemoveCompatChecks`). */
const COMPAT_CHECK_PREFIX = "bg_deployments_compat";

export type HealthClient = Pick<RolloutClient, "getMachine" | "waitForState" | "machineEvents">;

export interface HealthWaiter {
  client: HealthClient;
  app: string;
  timing: RolloutTiming;
  waitTimeoutMs: number;
}

export function withoutCompatChecks(checks: readonly MachineCheck[]): MachineCheck[] {
  return checks.filter((check) => !check.name.startsWith(COMPAT_CHECK_PREFIX));
}

/** Unrequested exits with a non-zero code since `since` (unix ms): the machine restarts on its own. */
export function crashExits(events: readonly MachineEvent[], since: number): number {
  return events.filter(
    (e) =>
      e.type === "exit" &&
      e.timestamp >= since &&
      e.exit !== null &&
      !e.exit.requestedStop &&
      e.exit.exitCode !== null &&
      e.exit.exitCode !== 0,
  ).length;
}

export function waitTimeoutError(ms: number): Error {
  return new Error(`it did not become healthy within the wait timeout (${formatMs(ms)})`);
}

/**
 * Wait until the machine runs `version` in the wanted condition: `started`, or `cold` (settled stopped or
 * suspended after a skip-launch update). Fly's wait API cannot wait for a machine to fail, so between slices
 * one look at the machine tells a crashed machine from a slow one.
 */
export async function waitForVersion(
  waiter: HealthWaiter,
  id: string,
  version: string,
  want: "started" | "cold",
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  const { client, app, timing } = waiter;
  for (;;) {
    const remaining = Math.ceil((deadline - Date.now()) / 1000);
    if (remaining <= 0) throw waitTimeoutError(waiter.waitTimeoutMs);
    try {
      await client.waitForState(
        app,
        id,
        {
          // A cold machine is waited for as stopped (every Machines API knows that state); a suspended
          // one is caught by the look below.
          state: want === "started" ? "started" : "stopped",
          timeoutSeconds: Math.min(remaining, timing.waitSliceSeconds),
          version,
        },
        { signal },
      );
      if (want === "started") return;
    } catch (error) {
      const sliceEnded = isSemflyError(error) && error.code === "WAIT_TIMEOUT";
      // An API that refuses the wait outright (400) cannot say "stopped": the look still can.
      const refusedColdWait = want === "cold" && isSemflyError(error) && error.status === 400;
      if (!sliceEnded && !refusedColdWait) throw error;
      if (refusedColdWait) await sleep(timing.checkPollMaxMs, signal);
    }
    const machine = await client.getMachine(app, id, { signal });
    if (FAILED_STATES.has(machine.state)) throw new Error(`the machine is ${machine.state}`);
    if (machine.instanceId !== version) continue;
    if (want === "started" ? machine.state === "started" : COLD_STATES.has(machine.state)) return;
  }
}

/** Where one machine's health wait stands between two looks at it. */
export interface HealthProgress {
  /** Exits before this (unix ms) are not the new version's. */
  since: number;
  /** The crash watch lasts until then (unix ms). */
  watchUntil: number;
  /** Looks in a row that saw a critical check. */
  criticalPolls: number;
}

export type HealthVerdict =
  | { kind: "healthy" }
  | { kind: "failed"; reason: string }
  /** `checksPass` with the crash watch still running, or checks not yet all passing. */
  | { kind: "waiting"; checksPass: boolean; watching: boolean };

export function startHealthProgress(since: number, timing: RolloutTiming): HealthProgress {
  return { since, watchUntil: Date.now() + timing.crashWatchMs, criticalPolls: 0 };
}

/**
 * One look at a started machine, judged (flyctl's `WaitForHealthchecksToPass` and its smoke check): healthy
 * once every configured check, top-level and service checks, has a result and all pass (right after a start
 * the runtime list is empty) and the crash watch ended without a crash loop. Repeated exits it did not ask
 * for mean the image is crashing, even when the machine shows `started` and has no checks. Advances
 * `progress` (the count of critical looks in a row).
 */
export function judgeHealth(
  machine: FlyMachine,
  events: readonly MachineEvent[],
  progress: HealthProgress,
  now: number,
): HealthVerdict {
  if (FAILED_STATES.has(machine.state)) {
    return { kind: "failed", reason: `the machine is ${machine.state}` };
  }
  const exits = crashExits(events, progress.since);
  if (exits >= CRASH_EXITS) {
    return {
      kind: "failed",
      reason: `the app appears to be crashing (${exits} unrequested exits since it started)`,
    };
  }
  const watching = now < progress.watchUntil;
  const expected = configuredCheckCount(machine.config);
  const checks = withoutCompatChecks(machine.checks);
  const critical = checks.filter((c) => c.status === "critical");
  const checksPass =
    expected === 0 || (checks.length >= expected && checks.every((c) => c.status === "passing"));
  if (checksPass && !watching) return { kind: "healthy" };
  progress.criticalPolls = critical.length > 0 ? progress.criticalPolls + 1 : 0;
  if (progress.criticalPolls >= CRITICAL_POLLS_TO_FAIL) {
    const check = critical[0]!;
    return {
      kind: "failed",
      reason: `health check ${check.name} is critical${check.output ? ` (${check.output.trim().slice(0, 120)})` : ""}`,
    };
  }
  return { kind: "waiting", checksPass, watching };
}

/**
 * How long to wait before the next look: the crash-watch cadence once checks pass, else the check poll,
 * which backs off (`delay`) from its first to its last value.
 */
export function nextLookMs(
  verdict: Extract<HealthVerdict, { kind: "waiting" }>,
  progress: HealthProgress,
  delay: number,
  timing: RolloutTiming,
  now: number,
): number {
  if (verdict.checksPass)
    return Math.max(0, Math.min(timing.crashPollMs, progress.watchUntil - now));
  return verdict.watching ? Math.min(delay, timing.crashPollMs) : delay;
}

/** A check-poll delay backed off once (×1.5, up to the last value). */
export function backedOff(delay: number, timing: RolloutTiming): number {
  return Math.min(delay * 1.5, timing.checkPollMaxMs);
}

/**
 * Wait until a started machine is healthy (`judgeHealth`), one `GET` of the machine per look; its events
 * come with it, as flyctl reads them; `GET …/events` only when a server leaves them out.
 */
export async function waitHealthy(
  waiter: HealthWaiter,
  id: string,
  since: number,
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  const { client, app, timing } = waiter;
  const progress = startHealthProgress(since, timing);
  let delay = timing.checkPollMinMs;
  for (;;) {
    const machine: FlyMachine = await client.getMachine(app, id, { signal });
    const events = machine.events ?? (await client.machineEvents(app, id, { signal }));
    const verdict = judgeHealth(machine, events, progress, Date.now());
    if (verdict.kind === "healthy") return;
    if (verdict.kind === "failed") throw new Error(verdict.reason);
    const pause = nextLookMs(verdict, progress, delay, timing, Date.now());
    if (Date.now() + pause > deadline) throw waitTimeoutError(waiter.waitTimeoutMs);
    await sleep(pause, signal);
    if (signal.aborted) throw new Error("stopped waiting for checks");
    if (!verdict.checksPass) delay = backedOff(delay, timing);
  }
}

export function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
