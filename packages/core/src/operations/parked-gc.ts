/**
 * `semfly gc`: destroy what semfly left on an app to be destroyed later, once its time is up (or all of it
 * with `all`): parked sets (bluegreen's previous machines) and kept machines (`semfly keep --for`).
 */
import { destroyParked } from "../rollout/destroy-parked.js";
import type { RolloutClient } from "../rollout/port.js";
import { type KeptImage, keptImages } from "../versions/keep.js";
import { type ParkedSet, parkedSets } from "../versions/parked.js";
import type { FlyMachine } from "../versions/types.js";
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

/**
 * What `gc` destroys from one listing: parked sets and kept machines whose time is up, or all of them with
 * `all`. Pure; the CLI shows it for `--dry-run` and the confirmation, and `collectParked` destroys it.
 */
export function gcPlan(
  machines: readonly FlyMachine[],
  options: { all?: boolean | undefined; now: number },
): { parked: ParkedSet[]; kept: KeptImage[]; setsLeft: ParkedSet[]; imagesLeft: KeptImage[] } {
  const sets = parkedSets(machines, options.now);
  const images = keptImages(machines, options.now);
  const due = (item: { expired: boolean }) => options.all === true || item.expired;
  return {
    parked: sets.filter(due),
    kept: images.filter(due),
    setsLeft: sets.filter((s) => !due(s)),
    imagesLeft: images.filter((k) => !due(k)),
  };
}

export async function collectParked(
  client: GcClient,
  app: string,
  options: {
    all?: boolean;
    now: number;
    signal?: AbortSignal;
    /** The listing a confirmation was asked from: exactly what was shown is destroyed, nothing newer. */
    machines?: readonly FlyMachine[];
  },
): Promise<GcResult> {
  const machines = options.machines ?? (await client.listMachines(app, { signal: options.signal }));
  const plan = gcPlan(machines, options);
  const [parked, kept] = await Promise.all([
    destroyParked(
      client,
      app,
      plan.parked.flatMap((s) => s.machines),
      options.signal,
    ),
    destroyKept(client, app, plan.kept, options.signal),
  ]);
  const gone = new Set(kept.destroyed.map((k) => k.machineId));
  return {
    app,
    destroyed: [...parked.destroyed, ...kept.destroyed.map((k) => k.machineId)],
    kept: plan.setsLeft,
    keptImages: {
      destroyed: kept.destroyed,
      left: keptImages(machines, options.now).filter((k) => !gone.has(k.machineId)),
    },
    failed: [...parked.failed, ...kept.failed],
  };
}
