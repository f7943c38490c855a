/**
 * Destroying parked machines (gc, and a deploy that would park more sets than it keeps): each under its own
 * lease and only after reading it back as still parked by semfly, so a machine that is not parked is
 * never destroyed, whatever an earlier list said.
 */
import {
  isParked,
  type ParkedMachine,
  parkedSets,
  parkedSetsBeyondKeep,
} from "../versions/parked.js";
import { settleLimit } from "./concurrency.js";
import type { RolloutEvent } from "./events.js";
import { LEASE_CONCURRENCY } from "./leases.js";
import type { RolloutClient } from "./port.js";

export type DestroyParkedClient = Pick<
  RolloutClient,
  "getMachine" | "acquireLease" | "releaseLease" | "destroyMachine"
>;

export interface DestroyParkedResult {
  destroyed: string[];
  /** Machines left in place, and why (a lease someone else holds, no longer parked…). */
  failed: { id: string; reason: string }[];
}

export async function destroyParked(
  client: DestroyParkedClient,
  app: string,
  machines: readonly Pick<ParkedMachine, "id">[],
  signal?: AbortSignal,
): Promise<DestroyParkedResult> {
  const result: DestroyParkedResult = { destroyed: [], failed: [] };
  await settleLimit(machines, LEASE_CONCURRENCY, async ({ id }) => {
    let nonce: string | undefined;
    try {
      nonce = (
        await client.acquireLease(
          app,
          id,
          { ttlSeconds: 30, description: "semfly: destroying a parked machine" },
          { signal },
        )
      ).nonce;
      if (!isParked(await client.getMachine(app, id, { signal }))) {
        result.failed.push({ id, reason: "it is no longer parked, so it was left alone" });
        return;
      }
      await client.destroyMachine(app, id, { signal, nonce });
      nonce = undefined;
      result.destroyed.push(id);
    } catch (error) {
      result.failed.push({ id, reason: error instanceof Error ? error.message : String(error) });
    } finally {
      if (nonce) await client.releaseLease(app, id, nonce).catch(() => undefined);
    }
  });
  return result;
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
