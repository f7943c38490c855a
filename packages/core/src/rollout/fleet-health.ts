/**
 * Health for a whole set of started machines from one list of the app's machines per look, instead of one
 * `GET` per machine per look. An instant rollback wakes hundreds of machines at once: a `GET` each would
 * cost a request per machine (and, through the crash watch, one per machine per second), where a list
 * judges them all. The Machines API's list carries each machine's checks and events unless asked for a
 * summary (doc.json `Machine`); a server that leaves the checks out costs one `GET` of the machine, and one
 * that leaves the events out one `GET …/events`, per machine per look, as `waitHealthy` does, so either
 * answer is safe. Each machine is judged by the same rule as `waitHealthy` (`judgeHealth`).
 */
import { settleLimit, sleep } from "./concurrency.js";
import {
  backedOff,
  type HealthProgress,
  type HealthWaiter,
  judgeHealth,
  nextLookMs,
  startHealthProgress,
  waitTimeoutError,
} from "./health.js";
import { LEASE_CONCURRENCY } from "./leases.js";
import type { RolloutClient } from "./port.js";

export interface FleetHealthWaiter extends HealthWaiter {
  client: HealthWaiter["client"] & Pick<RolloutClient, "listMachines">;
}

/** A started machine to watch, and when its start (or update) was sent. */
export interface FleetMember {
  id: string;
  since: number;
}

/** The first machine of the set that failed, and why; null when every one is healthy. */
export type FleetVerdict = { machineId: string; reason: string } | null;

/**
 * Look at the set until every machine is healthy, or one fails or outlasts `deadline`. Every member must
 * already be started: a list sent after that shows its state and checks as of then. A list that fails
 * (after the client's retries) is thrown: it says nothing about any machine.
 */
export async function waitFleetHealthy(
  waiter: FleetHealthWaiter,
  members: readonly FleetMember[],
  deadline: number,
  signal: AbortSignal,
): Promise<FleetVerdict> {
  const { client, app, timing } = waiter;
  const waiting = new Map<string, HealthProgress>(
    members.map((m) => [m.id, startHealthProgress(m.since, timing)]),
  );
  let delay = timing.checkPollMinMs;
  while (waiting.size > 0) {
    const listed = new Map((await client.listMachines(app, { signal })).map((m) => [m.id, m]));
    let pause = Number.POSITIVE_INFINITY;
    let checksPending = false;
    const looks = await settleLimit([...waiting], LEASE_CONCURRENCY, async ([id, progress]) => {
      const seen = listed.get(id);
      if (!seen) return { id, verdict: { kind: "failed", reason: "the machine is gone" } } as const;
      // A list that leaves the checks out says nothing of them: the machine itself is read.
      const machine = seen.checksOmitted ? await client.getMachine(app, id, { signal }) : seen;
      const events = machine.events ?? (await client.machineEvents(app, id, { signal }));
      return { id, verdict: judgeHealth(machine, events, progress, Date.now()) };
    });
    for (const look of looks) {
      if (look.status === "rejected") throw look.reason;
      const { id, verdict } = look.value;
      if (verdict.kind === "failed") return { machineId: id, reason: verdict.reason };
      if (verdict.kind === "healthy") {
        waiting.delete(id);
        continue;
      }
      checksPending ||= !verdict.checksPass;
      pause = Math.min(pause, nextLookMs(verdict, waiting.get(id)!, delay, timing, Date.now()));
    }
    if (waiting.size === 0) return null;
    if (Date.now() + pause > deadline) {
      const [late] = waiting.keys();
      return { machineId: late!, reason: waitTimeoutError(waiter.waitTimeoutMs).message };
    }
    await sleep(pause, signal);
    if (signal.aborted) throw new Error("stopped waiting for checks");
    if (checksPending) delay = backedOff(delay, timing);
  }
  return null;
}
