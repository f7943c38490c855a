/**
 * Destroying kept machines (`semfly gc`): each under its own lease, and only after reading it back as a
 * machine `semfly keep` made for the same digest (its keep metadata, no Fly Launch marker), so a machine
 * semfly did not create, or one changed since the listing, is never destroyed.
 */
import { settleLimit } from "../rollout/concurrency.js";
import { LEASE_CONCURRENCY } from "../rollout/leases.js";
import type { RolloutClient } from "../rollout/port.js";
import { isKeptMachine, KEEP_DIGEST_METADATA_KEY, type KeptImage } from "../versions/keep.js";
import type { FlyMachine } from "../versions/types.js";

export type DestroyKeptClient = Pick<
  RolloutClient,
  "getMachine" | "acquireLease" | "releaseLease" | "destroyMachine"
>;

export interface DestroyKeptResult {
  destroyed: KeptImage[];
  failed: { id: string; reason: string }[];
}

/** Why this machine, read back, is not the kept machine the listing showed; null when it still is. */
function notKeptAnyMore(machine: FlyMachine, kept: KeptImage): string | null {
  if (!isKeptMachine(machine))
    return "it no longer carries semfly's keep metadata, so it was left alone";
  if (machine.metadata.fly_platform_version !== undefined)
    return "it is a Fly Launch machine now, so it was left alone";
  const digest = machine.metadata[KEEP_DIGEST_METADATA_KEY] ?? machine.imageRef?.digest ?? null;
  if (digest !== kept.digest) return "it keeps another image now, so it was left alone";
  return null;
}

export async function destroyKept(
  client: DestroyKeptClient,
  app: string,
  kept: readonly KeptImage[],
  signal?: AbortSignal,
): Promise<DestroyKeptResult> {
  const result: DestroyKeptResult = { destroyed: [], failed: [] };
  await settleLimit(kept, LEASE_CONCURRENCY, async (image) => {
    const id = image.machineId;
    let nonce: string | undefined;
    try {
      nonce = (
        await client.acquireLease(
          app,
          id,
          { ttlSeconds: 30, description: "semfly: destroying a kept machine" },
          { signal },
        )
      ).nonce;
      const why = notKeptAnyMore(await client.getMachine(app, id, { signal }), image);
      if (why) {
        result.failed.push({ id, reason: why });
        return;
      }
      await client.destroyMachine(app, id, { signal, nonce });
      nonce = undefined;
      result.destroyed.push(image);
    } catch (error) {
      result.failed.push({ id, reason: error instanceof Error ? error.message : String(error) });
    } finally {
      if (nonce) await client.releaseLease(app, id, nonce).catch(() => undefined);
    }
  });
  return result;
}
