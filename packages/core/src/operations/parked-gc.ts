/**
 * `semfly gc`: destroy what semfly left on an app to be destroyed later, once its time is up (or all of it
 * with `all`): parked sets (bluegreen's previous machines) and kept machines (`semfly keep --for`).
 */
import { destroyParked } from "../rollout/destroy-parked.js";
import type { RolloutClient } from "../rollout/port.js";
import { type KeptImage, keptImages } from "../versions/keep.js";
import { type ParkedSet, parkedSets } from "../versions/parked.js";
import { destroyKept } from "./destroy-kept.js";

export type GcClient = Pick<
  RolloutClient,
  "listMachines" | "getMachine" | "acquireLease" | "releaseLease" | "destroyMachine"
>;

export interface GcResult {
  app: string;
  /** Every machine destroyed, parked or kept. */
  destroyed: string[];
  /** Parked sets left (not expired, without `all`). */
  kept: ParkedSet[];
  /** Kept images: the ones whose machine was destroyed, and the ones left (no end, or not expired yet). */
  keptImages: { destroyed: KeptImage[]; left: KeptImage[] };
  failed: { id: string; reason: string }[];
}

export async function collectParked(
  client: GcClient,
  app: string,
  options: { all?: boolean; now: number; signal?: AbortSignal },
): Promise<GcResult> {
  const machines = await client.listMachines(app, { signal: options.signal });
  const sets = parkedSets(machines, options.now);
  const doomed = sets.filter((s) => options.all || s.expired);
  const images = keptImages(machines, options.now);
  const doomedImages = images.filter((k) => options.all || k.expired);
  const [parked, kept] = await Promise.all([
    destroyParked(
      client,
      app,
      doomed.flatMap((s) => s.machines),
      options.signal,
    ),
    destroyKept(client, app, doomedImages, options.signal),
  ]);
  const gone = new Set(kept.destroyed.map((k) => k.machineId));
  return {
    app,
    destroyed: [...parked.destroyed, ...kept.destroyed.map((k) => k.machineId)],
    kept: sets.filter((s) => !doomed.includes(s)),
    keptImages: {
      destroyed: kept.destroyed,
      left: images.filter((k) => !gone.has(k.machineId)),
    },
    failed: [...parked.failed, ...kept.failed],
  };
}
