import {
  NOT_RESTORED_NOTE,
  preflightLines,
  type RolloutEvent,
  type RolloutPlan,
  type RolloutPreflight,
  type RolloutResult,
  shortDigest,
  type VersionRef,
} from "@semfly/core";
import { machineCount } from "../tree/format.js";

/** "3.1.11", or the short digest of an unversioned image. */
export function versionName(ref: VersionRef | null | undefined): string {
  if (!ref) return "nothing";
  return ref.version ?? (ref.digest ? shortDigest(ref.digest) : ref.key);
}

const STRATEGY_TEXT: Record<RolloutPlan["strategy"], (plan: RolloutPlan) => string> = {
  rolling: (plan) =>
    `rolling, ${plan.batchSize} machine${plan.batchSize === 1 ? "" : "s"} at a time, each checked before the next`,
  canary: () => "canary: one machine first, the rest once it passes its checks",
  immediate: () => "immediate: every machine at once",
};

/** The modal's question and detail: app, from → to, how many machines and how, and the preflight. */
export function rollbackConfirmation(
  plan: RolloutPlan,
  preflight?: RolloutPreflight,
): { message: string; detail: string } {
  const count = plan.machines.length;
  const regions = [...new Set(plan.machines.map((m) => m.region))].sort().join(", ");
  const message = `Roll back ${plan.app} from ${versionName(plan.from)} to ${versionName(plan.to)}?`;
  const lines = [
    `${count} machine${count === 1 ? "" : "s"}${regions ? ` (${regions})` : ""} will be updated: ${STRATEGY_TEXT[plan.strategy](plan)}.`,
    plan.skipped.length > 0
      ? `${plan.skipped.length} already run ${versionName(plan.to)} and stay as they are.`
      : null,
    `Image: ${plan.to.image}`,
    "A machine that fails its checks puts every changed machine back.",
    NOT_RESTORED_NOTE,
    ...(preflight ? ["", ...preflightLines(preflight, versionName(plan.to))] : []),
  ];
  return { message, detail: lines.filter((line) => line !== null).join("\n") };
}

/** One progress line per engine event, naming the machine by name and region. */
export function describeRolloutEvent(event: RolloutEvent, plan: RolloutPlan): string | null {
  const machine = (id: string) => {
    const found = plan.machines.find((m) => m.id === id);
    return found ? `${found.name || id} (${found.region})` : id;
  };
  switch (event.type) {
    case "plan":
      return `Planned ${machineCount(plan.machines.length)} in ${plan.batches.length} batch${plan.batches.length === 1 ? "" : "es"}`;
    case "image-verified":
      return `Image ${shortDigest(event.digest)} found`;
    case "machine-leased":
      return `${machine(event.machineId)}: leased`;
    case "release-created":
      return `Recorded Fly release v${event.release.version}`;
    case "release-status":
      return `Release v${event.release.version}: ${event.status}`;
    case "batch-started":
      return `Batch ${event.index + 1} of ${event.of}: ${event.machineIds.map(machine).join(", ")}`;
    case "machine-updated":
      return `${machine(event.machineId)}: updated to ${versionName(plan.to)}`;
    case "machine-started":
      return `${machine(event.machineId)}: started`;
    case "checks-passing":
      return `${machine(event.machineId)}: checks passing`;
    case "machine-failed":
      return `${machine(event.machineId)}: failed (${event.reason})`;
    case "interrupting":
      return `Stopping: ${event.reason}`;
    case "machine-reverting":
      return `${machine(event.machineId)}: putting back ${versionName(plan.from)}`;
    case "machine-reverted":
      return `${machine(event.machineId)}: back on ${versionName(plan.from)}`;
    case "revert-failed":
      return `${machine(event.machineId)}: revert failed (${event.reason})`;
    case "lease-released":
      return `${machine(event.machineId)}: lease released`;
    case "warning":
      return event.message;
    default:
      return null;
  }
}

export type ResultSeverity = "info" | "warning" | "error";

/**
 * The engine's reason as a clause: without its full stop, and without what the message says itself (the
 * machine count of an interruption, the "put back" of a revert), so nothing is said twice.
 */
function reasonClause(reason: string | null): string | null {
  if (!reason) return null;
  const clause = reason
    .trim()
    .replace(/;\s*every changed machine was put back\.?$/i, "")
    .replace(/\.+$/, "");
  if (/^interrupted (after \d+ of \d+ machines?|before any machine changed)$/i.test(clause)) {
    return null;
  }
  return clause || null;
}

/** The closing notification, one sentence: what happened, and whether "Undo" makes sense. */
export function rolloutResultMessage(result: RolloutResult): {
  severity: ResultSeverity;
  message: string;
  canUndo: boolean;
} {
  const updated = result.machines.filter((m) => m.result === "updated").length;
  const total = result.machines.length;
  const release = result.release ? ` (Fly release v${result.release.version})` : "";
  const canUndo = result.undoTarget !== null;
  const reason = reasonClause(result.reason);
  if (result.status === "complete") {
    return {
      severity: "info",
      message: `${result.app} is on ${versionName(result.to)}${release}: ${machineCount(updated)} updated.`,
      canUndo,
    };
  }
  if (result.status === "interrupted") {
    const when =
      updated === 0 ? "before any machine changed" : `after ${updated} of ${machineCount(total)}`;
    return {
      severity: "warning",
      message: `${result.kind === "deploy" ? "Deploy" : "Rollback"} of ${result.app} to ${versionName(result.to)} was interrupted ${when}${reason ? ` (${reason})` : ""}; run it again to finish${canUndo ? ", or undo" : ""}.`,
      canUndo,
    };
  }
  const back = result.reverted
    ? `; every changed machine is back on ${versionName(result.from)}`
    : "";
  return {
    severity: "error",
    message: `${result.kind === "deploy" ? "Deploy" : "Rollback"} of ${result.app} to ${versionName(result.to)} failed${reason ? `: ${reason}` : ""}${back}.`,
    canUndo,
  };
}
