/**
 * Destroying parked machines (gc, and a deploy that would park more sets than it keeps), by the one rule of
 * destroy-under-lease.ts: a machine read back as no longer parked is never destroyed.
 */
import {
  isParked,
  type ParkedMachine,
  parkedSets,
  parkedSetsBeyondKeep,
} from "../versions/parked.js";
import {
  type DestroyClient,
  type DestroyUnderLeaseResult,
  destroyUnderLease,
} from "./destroy-under-lease.js";
import type { RolloutEvent } from "./events.js";
import type { RolloutClient } from "./port.js";

export type DestroyParkedClient = DestroyClient;

/**
 * A parked machine is asleep: stopped, suspended, or never started. One labelled parked that runs may be
 * serving (its labels outlived an un-park, or something woke it), so it is never destroyed by its labels.
 */
const ASLEEP: ReadonlySet<string> = new Set(["stopped", "suspended", "created", "failed"]);

export type DestroyParkedResult = DestroyUnderLeaseResult<string>;

export async function destroyParked(
  client: DestroyParkedClient,
  app: string,
  machines: readonly Pick<ParkedMachine, "id">[],
  signal?: AbortSignal,
): Promise<DestroyParkedResult> {
  return destroyUnderLease(
    client,
    app,
    machines.map((m) => m.id),
    {
      idOf: (id) => id,
      description: "semfly: destroying a parked machine",
      notOursAnyMore: (machine) =>
        !isParked(machine)
          ? "it is no longer parked, so it was left alone"
          : ASLEEP.has(machine.state)
            ? null
            : `it is ${machine.state}, so it may be serving: it was left alone`,
    },
    signal,
  );
}

/**
 * After a successful cut-over: destroy the oldest parked sets so that at most `keep` remain, the one just
 * parked (`newest`) among them. Never before the cut-over (until then the old sets are the way back), and
 * a machine that cannot be destroyed is a warning, not a failed rollout: the new version serves already.
 */
export async function trimParkedSets(
  client: DestroyParkedClient & Pick<RolloutClient, "listMachines">,
  app: string,
  options: {
    keep: number;
    newest: string | null;
    signal: AbortSignal;
    emit: (event: RolloutEvent) => void;
  },
): Promise<string[]> {
  const { signal, emit } = options;
  try {
    const sets = parkedSets(await client.listMachines(app, { signal }), Date.now());
    const drop = parkedSetsBeyondKeep(sets, options.keep, options.newest);
    if (drop.length === 0) return [];
    const outcome = await destroyParked(
      client,
      app,
      drop.flatMap((s) => s.machines),
      signal,
    );
    for (const { id, reason } of outcome.failed) {
      emit({
        type: "warning",
        message: `Parked machine ${id} of an older set was kept: ${reason}`,
      });
    }
    return outcome.destroyed;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    emit({ type: "warning", message: `Older parked sets were not checked: ${reason}` });
    return [];
  }
}
