/** The target image must still be in Fly's registry, at the digest the plan pins, before anything changes. */
import { inputError } from "../errors.js";
import type { RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";

/** Ask Fly for the target image; if it no longer has it (pruned), stop before touching anything. */
export async function verifyTargetImage(
  client: Pick<RolloutClient, "resolveImage">,
  plan: Pick<RolloutPlan, "app" | "to">,
  signal?: AbortSignal,
): Promise<void> {
  const image = await client.resolveImage(plan.app, plan.to.image, signal ? { signal } : {});
  const name = plan.to.version ?? plan.to.key;
  if (!image) {
    throw inputError(
      "IMAGE_NOT_FOUND",
      `Fly no longer has the image of ${name} (${plan.to.image}).`,
      "Old images can be pruned from Fly's registry; push the image again and use `semfly deploy`.",
    );
  }
  if (image.digest !== plan.to.digest) {
    throw inputError(
      "DIGEST_MISMATCH",
      `Fly resolves ${plan.to.image} to ${image.digest}, not ${plan.to.digest}.`,
      "The registry changed under this version; check the image before rolling out.",
    );
  }
}
