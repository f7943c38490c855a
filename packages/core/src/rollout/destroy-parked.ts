/**
 * Destroying parked machines (gc, and a deploy that would park more sets than it keeps): each under its own
 * lease and only after reading it back as still parked by semfly, so a machine that is not parked is
 * never destroyed, whatever an earlier list said.
 */
import { isParked, type ParkedMachine } from "../versions/parked.js";
import { settleLimit } from "./concurrency.js";
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
