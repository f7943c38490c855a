/** What a rollout ended as: pure assembly from the plan and what happened to each machine. */
import { type ExactUndo, exactUndo } from "../versions/undo.js";
import type { PlannedMachine, RolloutPlan, VersionRef } from "./plan.js";

export const NOT_RESTORED_NOTE =
  "A rollback changes machine images (and, with --with-config, machine configs) only: secrets, volumes and databases are not restored.";

export type MachineResult =
  | "updated"
  | "skipped"
  | "failed"
  | "reverted"
  | "revert-failed"
  | "not-started";

export interface MachineOutcome {
  id: string;
  name: string;
  region: string;
  processGroup: string;
  from: VersionRef | null;
  to: VersionRef;
  result: MachineResult;
  error?: string;
  /** Updated with `skip_launch` and left stopped or suspended. */
  cold?: boolean;
  /** With --with-config: whether a config from when it ran the target was found and sent. */
  configRestored?: boolean;
  /** Why a skipped machine was skipped. */
  note?: string;
  /** Bluegreen: the green machine that serves in its place (this one is parked, or destroyed). */
  replacedBy?: string;
}

/** `partial`: every machine semfly could reach is on the target, but some were skipped (unreachable hosts). */
export type RolloutStatus = "complete" | "partial" | "failed" | "interrupted";

export interface RolloutResult {
  app: string;
  kind: RolloutPlan["kind"];
  status: RolloutStatus;
  from: VersionRef | null;
  to: RolloutPlan["to"];
  strategy: RolloutPlan["strategy"];
  release: { id: string; version: number } | null;
  machines: MachineOutcome[];
  /** Why it failed or stopped. */
  reason: string | null;
  /** Every changed machine went back to its exact previous config. */
  reverted: boolean;
  /** What the app runs now: the target, the previous version, or null when machines are mixed. */
  liveNow: VersionRef | null;
  /**
   * The version a rollback to which undoes this one; null when nothing is left changed (nothing moved, or
   * a failure put every machine back). Set after a `--no-revert` failure too: the way back.
   */
  undoTarget: VersionRef | null;
  /**
   * Whether that rollback restores exactly what ran before, and if not, what the changed machines ran
   * instead per process group and region (drift before the run). Null when there is nothing to undo.
   */
  undo?: ExactUndo | null;
  warnings: string[];
  notRestored: string;
}

/** Results that leave a machine on another image than it had: what an undo has to move back. */
const LEFT_CHANGED = new Set<MachineResult>(["updated", "failed", "revert-failed"]);

export function refOf(ref: VersionRef): VersionRef {
  return { key: ref.key, version: ref.version, digest: ref.digest };
}

export function plannedOutcome(machine: PlannedMachine, plan: RolloutPlan): MachineOutcome {
  return {
    id: machine.id,
    name: machine.name,
    region: machine.region,
    processGroup: machine.processGroup,
    from: machine.from,
    to: refOf(plan.to),
    result: "not-started",
    ...(machine.cold ? { cold: true } : {}),
    ...(plan.withConfig ? { configRestored: machine.configSource === "history" } : {}),
  };
}

export interface ResultInput {
  plan: RolloutPlan;
  outcomes: ReadonlyMap<string, MachineOutcome>;
  status: RolloutStatus;
  reason: string | null;
  reverted: boolean;
  release: { id: string; version: number } | null;
  warnings: string[];
  /** A killed run's release was finished as complete: its move is what this result reports. */
  finishedEarlierMove?: boolean;
}

export function assembleResult(input: ResultInput): RolloutResult {
  const { plan } = input;
  const unreachable = new Set(plan.unreachable.map((u) => u.id));
  const machines: MachineOutcome[] = [
    ...plan.machines.map((m) => input.outcomes.get(m.id) ?? plannedOutcome(m, plan)),
    ...plan.skipped.map((s) => ({
      id: s.id,
      name: s.name,
      region: s.region,
      processGroup: s.processGroup,
      from: unreachable.has(s.id) ? null : refOf(plan.to),
      to: refOf(plan.to),
      result: "skipped" as const,
      note: s.reason,
    })),
  ];
  const target = refOf(plan.to);
  const allOnTarget = machines.every(
    (m) => m.result === "updated" || (m.result === "skipped" && !unreachable.has(m.id)),
  );
  const noneChanged = machines.every(
    (m) => m.result !== "updated" && m.result !== "failed" && m.result !== "revert-failed",
  );
  const liveNow = allOnTarget ? target : noneChanged || input.reverted ? plan.from : null;
  // A failure that put every machine back leaves nothing to undo; one that did not (--no-revert, or a
  // revert that failed) leaves machines on the target, and the way back is the same rollback.
  const leftChanged = !input.reverted && machines.some((m) => LEFT_CHANGED.has(m.result));
  // A drifted app rolled back to its own live version: "back to what was live" is this very command. The
  // way back is what the changed machines ran before, when that was one version.
  const changedFrom = machines.filter((m) => LEFT_CHANGED.has(m.result)).map((m) => m.from);
  const base =
    plan.from && plan.from.key === plan.to.key
      ? changedFrom.length > 0 && changedFrom.every((f) => f && f.key === changedFrom[0]!.key)
        ? changedFrom[0]!
        : null
      : plan.from;
  const undoTarget = leftChanged || input.finishedEarlierMove ? base : null;
  const undo =
    undoTarget || leftChanged
      ? exactUndo(
          undoTarget,
          // A rollback back moves every machine it can reach: not the ones skipped on unreachable hosts.
          // Finishing a killed run's move, "already on the target" says nothing of what ran before it.
          machines
            .filter(
              (m) =>
                !unreachable.has(m.id) && !(input.finishedEarlierMove && m.result === "skipped"),
            )
            .map((m) => ({
              id: m.id,
              processGroup: m.processGroup,
              region: m.region,
              from: m.from,
            })),
        )
      : null;
  return {
    app: plan.app,
    kind: plan.kind,
    status: input.status,
    from: plan.from,
    to: plan.to,
    strategy: plan.strategy,
    release: input.release,
    machines,
    reason: input.reason,
    reverted: input.reverted,
    liveNow,
    undoTarget,
    undo,
    warnings: input.warnings,
    notRestored: NOT_RESTORED_NOTE,
  };
}

/** How a run that got to the machines ended, from its first failure (if any) and whether it was stopped. */
export function endOfRun(input: {
  plan: RolloutPlan;
  failure: string | null;
  reverted: boolean;
  interrupted: boolean;
  updated: number;
}): { status: RolloutStatus; reason: string | null } {
  const { plan } = input;
  if (input.failure) {
    return {
      status: "failed",
      reason: input.reverted
        ? `${input.failure}; every changed machine was put back.`
        : `${input.failure}.`,
    };
  }
  if (input.interrupted) {
    return {
      status: "interrupted",
      reason:
        input.updated === 0
          ? "Interrupted before any machine changed."
          : `Interrupted after ${input.updated} of ${plan.machines.length} machines.`,
    };
  }
  const skippedUnreachable = plan.skipped.filter((s) =>
    plan.unreachable.some((u) => u.id === s.id),
  );
  if (skippedUnreachable.length > 0) {
    return {
      status: "partial",
      reason: `${skippedUnreachable.length} machine${skippedUnreachable.length === 1 ? " was" : "s were"} skipped on an unreachable host: ${skippedUnreachable.map((s) => s.id).join(", ")}.`,
    };
  }
  return { status: "complete", reason: null };
}
