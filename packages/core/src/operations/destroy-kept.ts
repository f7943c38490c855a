/**
 * Destroying kept machines (`semfly gc`), by the one rule of rollout/destroy-under-lease.ts: read back, a
 * machine must still be one `semfly keep` made for the same digest (its keep metadata, no Fly Launch
 * marker), so a machine semfly did not create, or one changed since the listing, is never destroyed.
 */
import {
  type DestroyClient,
  type DestroyUnderLeaseResult,
  destroyUnderLease,
} from "../rollout/destroy-under-lease.js";
import { isKeptMachine, KEEP_DIGEST_METADATA_KEY, type KeptImage } from "../versions/keep.js";
import type { FlyMachine } from "../versions/types.js";

export type DestroyKeptClient = DestroyClient;

export type DestroyKeptResult = DestroyUnderLeaseResult<KeptImage>;

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
  return destroyUnderLease(
    client,
    app,
    kept,
    {
      idOf: (image) => image.machineId,
      description: "semfly: destroying a kept machine",
      notOursAnyMore: notKeptAnyMore,
    },
    signal,
  );
}
