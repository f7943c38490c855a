import {
  type GateSet,
  type PromoteSource,
  preflightLines,
  type RolloutPlan,
  type RolloutPreflight,
} from "@semfly/core";
import { gateLines, versionName } from "./rolloutText.js";

/** The promote modal: which bytes go where, from which staging release, and the preflight. */
export function promoteConfirmation(
  plan: RolloutPlan,
  source: Pick<PromoteSource, "promotedFrom" | "imageRef">,
  preflight: RolloutPreflight,
  gates?: GateSet,
): { message: string; detail: string } {
  const count = plan.machines.length;
  const from = source.promotedFrom;
  const message = `Promote ${versionName(plan.to)} from ${from.app} to ${plan.app}?`;
  const lines = [
    `${plan.app} runs ${versionName(plan.from)} now; ${count} machine${count === 1 ? "" : "s"} will be updated (${plan.strategy}).`,
    `Image: ${source.imageRef}${from.release ? ` (live in ${from.app} since release v${from.release})` : ""}`,
    // A deploy runs the app's release command before any machine changes, as `semfly promote` says.
    ...(plan.releaseCommand
      ? [
          `Release command: ${plan.releaseCommand.command} runs on a temporary machine first (it usually migrates the database).`,
        ]
      : []),
    "A machine that fails its checks puts every changed machine back.",
    ...(gates ? gateLines(gates) : []),
    ...plan.warnings.map((w) => `Warning: ${w}`),
    ...plan.notes,
    "",
    ...preflightLines(preflight, versionName(plan.to)),
  ];
  return { message, detail: lines.join("\n") };
}
