/**
 * semfly destroys only machines it made for itself (parked sets, kept images), and only after reading each
 * one back under its own lease: whatever an earlier listing said, a machine changed since (un-parked, made
 * a Fly Launch machine, keeping another image) is left alone with the reason.
 */
import type { FlyMachine } from "../versions/types.js";
import { settleLimit } from "./concurrency.js";
import { LEASE_CONCURRENCY } from "./leases.js";
import type { RolloutClient } from "./port.js";

export type DestroyClient = Pick<
  RolloutClient,
  "getMachine" | "acquireLease" | "releaseLease" | "destroyMachine"
>;

export interface DestroyUnderLeaseResult<T> {
  destroyed: T[];
  /** Machines left in place, and why (a lease someone else holds, not semfly's any more…). */
  failed: { id: string; reason: string }[];
}

export async function destroyUnderLease<T>(
  client: DestroyClient,
  app: string,
  items: readonly T[],
  rule: {
    idOf: (item: T) => string;
    /** The lease's description: what is being destroyed. */
    description: string;
    /** Why the machine read back is not the one to destroy any more; null when it still is. */
    notOursAnyMore: (machine: FlyMachine, item: T) => string | null;
  },
  signal?: AbortSignal,
): Promise<DestroyUnderLeaseResult<T>> {
  const result: DestroyUnderLeaseResult<T> = { destroyed: [], failed: [] };
  await settleLimit(items, LEASE_CONCURRENCY, async (item) => {
    const id = rule.idOf(item);
    let nonce: string | undefined;
    try {
      nonce = (
        await client.acquireLease(
          app,
          id,
          { ttlSeconds: 30, description: rule.description },
          { signal },
        )
      ).nonce;
      const why = rule.notOursAnyMore(await client.getMachine(app, id, { signal }), item);
      if (why) {
        result.failed.push({ id, reason: why });
        return;
      }
      await client.destroyMachine(app, id, { signal, nonce });
      nonce = undefined;
      result.destroyed.push(item);
    } catch (error) {
      result.failed.push({ id, reason: error instanceof Error ? error.message : String(error) });
    } finally {
      if (nonce) await client.releaseLease(app, id, nonce).catch(() => undefined);
    }
  });
  return result;
}
