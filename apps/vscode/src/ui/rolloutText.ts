import {
  type GateSet,
  NOT_RESTORED_NOTE,
  preflightLines,
  type RolloutEvent,
  type RolloutPlan,
  type RolloutPreflight,
  type RolloutResult,
  type VersionRef,
  versionLabel,
} from "@semfly/core";
import { machineCount } from "../tree/format.js";

/** "3.1.11", or the short digest of an unversioned image. */
export function versionName(ref: VersionRef | null | undefined): string {
  // Core's one on-screen rule, as the CLI shows it; "nothing" reads as a sentence in a modal.
  return versionLabel(ref, "nothing");
}

/** flyctl's `--max-unavailable`, as a share of each process group. */
function share(plan: RolloutPlan): string {
  return plan.maxUnavailable < 1
    ? `${Math.round(plan.maxUnavailable * 100)}%`
    : `${plan.maxUnavailable} machine${plan.maxUnavailable === 1 ? "" : "s"}`;
}

const STRATEGY_TEXT: Record<RolloutPlan["strategy"], (plan: RolloutPlan) => string> = {
  rolling: (plan) =>
    `rolling: one machine first, then ${share(plan)} of each process group at a time, each checked before the next`,
  canary: (plan) =>
    `canary: one machine first, then ${share(plan)} of each process group once it passes its checks`,
  immediate: () => "immediate: every machine at once",
  bluegreen: () =>
    "bluegreen: a new machine beside each one, all healthy before the switch; the old ones are parked",
};

/** The modal's question and detail: app, from → to, how many machines and how, and the preflight. */
/** What a complete rollback does after it (semfly.freezeAfterRollback), as the CLI's plan says it. */
export function freezeAfterLine(to: string): string {
  return `Then freezes the app on ${to}: deploys through semfly are refused until \`semfly unfreeze\` (setting semfly.freezeAfterRollback).`;
}

export function rollbackConfirmation(
  plan: RolloutPlan,
  preflight?: RolloutPreflight,
  gates?: GateSet,
  freezes = false,
): { message: string; detail: string } {
  const count = plan.machines.length;
  const regions = [...new Set(plan.machines.map((m) => m.region))].sort().join(", ");
  const message = `Roll back ${plan.app} from ${versionName(plan.from)} to ${versionName(plan.to)}?`;
  const lines = [
    `${count} machine${count === 1 ? "" : "s"}${regions ? ` (${regions})` : ""} will be updated: ${STRATEGY_TEXT[plan.strategy](plan)}.`,
    plan.skipped.length > 0
      ? `${plan.skipped.length} already run ${versionName(plan.to)} and stay as they are.`
      : null,
    ...skippedLines(plan),
    `Image: ${plan.to.image}`,
    "A machine that fails its checks puts every changed machine back.",
    ...(gates ? gateLines(gates) : []),
    freezes ? freezeAfterLine(versionName(plan.to)) : null,
    ...plan.warnings.map((w) => `Warning: ${w}`),
    ...plan.notes,
    NOT_RESTORED_NOTE,
    ...(preflight ? ["", ...preflightLines(preflight, versionName(plan.to))] : []),
  ];
  return { message, detail: lines.filter((line) => line !== null).join("\n") };
}

/** The app's gates (semfly.toml) and bake window, as the confirmation names them. */
export function gateLines(gates: GateSet): string[] {
  const names = [...gates.probes, ...gates.metrics].map((g) => g.name);
  if (names.length === 0 && gates.bakeMs === 0) return [];
  const bake =
    gates.bakeMs > 0 ? ` Then a bake window of ${Math.round(gates.bakeMs / 1000)}s.` : "";
  return [
    `Gates (semfly.toml): ${names.length > 0 ? names.join("; ") : "Fly's checks only"}.${bake} A failing gate puts every changed machine back.`,
  ];
}

/** What the rollback does not change, or changes without starting it: said before the user confirms. */
export function skippedLines(plan: RolloutPlan): string[] {
  const cold = plan.machines.filter((m) => m.cold);
  const unreachable = new Set(plan.unreachable.map((u) => u.id));
  const skippedUnreachable = plan.skipped.filter((s) => unreachable.has(s.id));
  const list = (ids: string[]) => ids.join(", ");
  return [
    ...(cold.length > 0
      ? [
          `${cold.length} cold machine${cold.length === 1 ? " is" : "s are"} updated without being started and stay${cold.length === 1 ? "s" : ""} stopped: ${list(cold.map((m) => m.name || m.id))}.`,
        ]
      : []),
    ...(plan.verifyCold.length > 0
      ? [`${list(plan.verifyCold)} will be started once to check the target, then stopped again.`]
      : []),
    ...(skippedUnreachable.length > 0
      ? [`Skipped, host unreachable: ${list(skippedUnreachable.map((s) => s.name || s.id))}.`]
      : []),
    ...(plan.unmanaged.length > 0
      ? [
          `Left alone, not managed by Fly Launch: ${list(plan.unmanaged.map((u) => u.name || u.id))}.`,
        ]
      : []),
  ];
}

/** A machine a progress line can name that is not among the plan's (an instant rollback's parked ones). */
export interface NamedMachine {
  id: string;
  name: string;
  region: string;
}

/** One progress line per engine event, naming the machine by name and region. */
export function describeRolloutEvent(
  event: RolloutEvent,
  plan: RolloutPlan,
  others: readonly NamedMachine[] = [],
): string | null {
  const machine = (id: string) => {
    const found = plan.machines.find((m) => m.id === id) ?? others.find((m) => m.id === id);
    return found ? `${found.name || id} (${found.region})` : id;
  };
  switch (event.type) {
    case "plan":
      return `Planned ${machineCount(plan.machines.length)} in ${plan.batches.length} batch${plan.batches.length === 1 ? "" : "es"}`;
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
    case "machine-settled":
      return `${machine(event.machineId)}: updated, left cold`;
    case "machine-verified":
      return `${machine(event.machineId)}: verified, going back to sleep`;
    case "release-command":
      return event.status === "failed"
        ? `Release command failed (${event.reason ?? "unknown reason"})`
        : `Release command ${event.status}`;
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
    case "gates":
      return `${event.phase === "bake" ? "Baking" : "Gates"}: ${event.summary}`;
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
  if (result.status === "partial") {
    return {
      severity: "warning",
      message: `${result.app} is on ${versionName(result.to)}${release} except machines semfly could not reach: ${result.reason ?? ""}`,
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
