/** `semfly gc`: destroy the parked sets whose time is up, or every one with `all`. */
import { destroyParked } from "../rollout/destroy-parked.js";
import type { RolloutClient } from "../rollout/port.js";
import { type ParkedSet, parkedSets } from "../versions/parked.js";

export type GcClient = Pick<
  RolloutClient,
  "listMachines" | "getMachine" | "acquireLease" | "releaseLease" | "destroyMachine"
>;

export interface GcResult {
  app: string;
  destroyed: string[];
  /** Sets kept (not expired, without `all`). */
  kept: ParkedSet[];
  failed: { id: string; reason: string }[];
}

export async function collectParked(
  client: GcClient,
  app: string,
  options: { all?: boolean; now: number; signal?: AbortSignal },
): Promise<GcResult> {
  const sets = parkedSets(await client.listMachines(app, { signal: options.signal }), options.now);
  const doomed = sets.filter((s) => options.all || s.expired);
  const outcome = await destroyParked(
    client,
    app,
    doomed.flatMap((s) => s.machines),
    options.signal,
  );
  return { app, ...outcome, kept: sets.filter((s) => !doomed.includes(s)) };
}
