/**
 * Before anything changes, the target image must still exist at the digest the plan pins. Asked of the
 * registry itself first (registry/image-check.ts): gone is refused, unknown is refused unless skipped.
 */
import {
  checkPlanImage,
  type ImageCheck,
  type ImageCheckOptions,
} from "../registry/image-check.js";
import type { RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";

export async function verifyTargetImage(
  client: Pick<RolloutClient, "resolveImage">,
  plan: Pick<RolloutPlan, "app" | "to" | "machines" | "skipped">,
  signal?: AbortSignal,
  options: Omit<ImageCheckOptions, "signal"> = {},
): Promise<ImageCheck> {
  return checkPlanImage(client, plan, { ...options, signal });
}
