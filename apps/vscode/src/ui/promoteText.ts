import {
  type PromoteSource,
  preflightLines,
  type RolloutPlan,
  type RolloutPreflight,
} from "@semfly/core";
import { versionName } from "./rolloutText.js";

/** The promote modal: which bytes go where, from which staging release, and the preflight. */
export function promoteConfirmation(
  plan: RolloutPlan,
  source: Pick<PromoteSource, "promotedFrom" | "imageRef">,
  preflight: RolloutPreflight,
): { message: string; detail: string } {
  const count = plan.machines.length;
  const from = source.promotedFrom;
  const message = `Promote ${versionName(plan.to)} from ${from.app} to ${plan.app}?`;
  const lines = [
    `${plan.app} runs ${versionName(plan.from)} now; ${count} machine${count === 1 ? "" : "s"} will be updated (${plan.strategy}).`,
    `Image: ${source.imageRef}${from.release ? ` (live in ${from.app} since release v${from.release})` : ""}`,
    "A machine that fails its checks puts every changed machine back.",
    "",
    ...preflightLines(preflight, versionName(plan.to)),
  ];
  return { message, detail: lines.join("\n") };
}
