import {
  type InstantResult,
  NOT_RESTORED_NOTE,
  type ParkedSet,
  parkedShortfall,
  preflightLines,
  type RolloutPlan,
  type RolloutPreflight,
  versionLabel,
} from "@semfly/core";
import { formatTimestamp, machineCount } from "../tree/format.js";
import type { ResultSeverity } from "./rolloutText.js";
import { freezeAfterLine, versionName } from "./rolloutText.js";

/** What an instant rollback is about to do: the set it starts and how long the current machines stay parked. */
export interface InstantChoice {
  plan: RolloutPlan;
  /** The parked set of the target that it starts (core's parkedSetFor). */
  set: ParkedSet;
  /** Until when the machines that serve now stay parked in exchange (ISO 8601); null: destroyed. */
  keptUntil: string | null;
  /** Older parked sets destroyed after the cut-over to stay within the kept count (core's rule). */
  drops?: readonly ParkedSet[] | undefined;
  preflight?: RolloutPreflight | undefined;
}

function regionsOf(machines: readonly { region: string }[]): string {
  const regions = [...new Set(machines.map((m) => m.region))].sort().join(", ");
  return regions ? ` (${regions})` : "";
}

/** The modal: what it starts, what it parks in exchange and until when, and what stays as it is on failure. */
export function instantConfirmation(
  choice: InstantChoice,
  freezes = false,
): { message: string; detail: string } {
  const { plan, set, keptUntil } = choice;
  const from = versionName(plan.from);
  const to = versionName(plan.to);
  const exchange = plan.machines;
  const message = `Roll back ${plan.app} instantly from ${from} to ${to}?`;
  const lines = [
    `Starts the ${machineCount(set.machines.length)} of ${to} parked until ${formatTimestamp(set.expiresAt) ?? set.expiresAt}${regionsOf(set.machines)}: one machine start, no redeploy.`,
    keptUntil
      ? `Parks in exchange the ${machineCount(exchange.length)} of ${from} that serve now${regionsOf(exchange)}, until ${formatTimestamp(keptUntil) ?? keptUntil}: cordoned and suspended where Fly allows it, else stopped without services, costing their root filesystem only. Roll Back Instantly on ${from} undoes it until then.`
      : `Destroys the ${machineCount(exchange.length)} of ${from} that serve now${regionsOf(exchange)} once ${to} serves.`,
    ...parkedShortfall(set, exchange).map(
      (short) =>
        `Warning: ${short.processGroup} in ${short.region} has ${machineCount(short.parked)} parked for the ${short.serving} that serve now: it will run with fewer.`,
    ),
    ...(choice.drops ?? []).map(
      (old) =>
        `Destroys the older parked set of ${versionLabel({ version: old.version, key: old.digest ?? old.set })} (${machineCount(old.machines.length)}) once ${to} serves: one parked set is kept.`,
    ),
    `${from} serves until the cut-over: if a parked machine fails to start or pass its checks, the parked set goes back to sleep and nothing else changes.`,
    ...(freezes ? [freezeAfterLine(to)] : []),
    `Image: ${plan.to.image}`,
    ...plan.warnings.map((w) => `Warning: ${w}`),
    ...plan.notes,
    NOT_RESTORED_NOTE,
    ...(choice.preflight ? ["", ...preflightLines(choice.preflight, to)] : []),
  ];
  return { message, detail: lines.join("\n") };
}

/** The closing notification, one sentence, and whether "Undo" (instant, back to what served) makes sense. */
export function instantResultMessage(
  result: InstantResult,
  keptUntil: string | null,
): { severity: ResultSeverity; message: string; canUndo: boolean } {
  const to = versionName(result.to);
  const from = versionName(result.from);
  const release = result.release ? ` (Fly release v${result.release.version})` : "";
  if (result.status === "complete") {
    const kept =
      keptUntil && result.parked.length > 0
        ? `${from}'s ${machineCount(result.parked.length)} are parked until ${formatTimestamp(keptUntil) ?? keptUntil}`
        : `${from}'s ${machineCount(result.parked.length)} were destroyed`;
    return {
      severity: "info",
      message: `${result.app} is on ${to}${release}: ${machineCount(result.restored.length)} started instantly; ${kept}.`,
      canUndo: keptUntil !== null && result.parked.length > 0 && result.from !== null,
    };
  }
  const what = result.status === "interrupted" ? "was interrupted" : "failed";
  // Core's reason for an interruption starts "Interrupted before the cut-over: …": said once.
  const clause = (result.reason ?? "").replace(/\.+$/, "").replace(/^interrupted\b\s*/i, "");
  const reason = clause === "" ? "" : /^[a-z]/.test(clause) ? ` ${clause}` : `: ${clause}`;
  return {
    severity: result.status === "interrupted" ? "warning" : "error",
    message: `Instant rollback of ${result.app} to ${to} ${what}${reason}.`,
    canUndo: false,
  };
}
