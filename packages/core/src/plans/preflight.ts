import type { PlannedMachine, RolloutPlan, VersionRef } from "../rollout/plan.js";
import type { VersionHistory } from "../versions/history.js";

/** What a plan will do and what to know before running it, for a reader that cannot see a table. */
export interface Preflight {
  app: string;
  kind: RolloutPlan["kind"];
  from: VersionRef | null;
  to: RolloutPlan["to"];
  strategy: RolloutPlan["strategy"];
  batchSize: number;
  batches: string[][];
  machines: {
    id: string;
    name: string;
    region: string;
    processGroup: string;
    state: string;
    from: VersionRef | null;
    configSource: PlannedMachine["configSource"];
  }[];
  skipped: RolloutPlan["skipped"];
  /** Releases left running by earlier, killed runs, which executing finishes (as what, by the machines). */
  orphans: { id: string; version: number; finishesAs: string }[];
  warnings: string[];
}

/** The preflight of a plan made from `history`. Pure. */
export function preflightOf(plan: RolloutPlan, history: VersionHistory): Preflight {
  return {
    app: plan.app,
    kind: plan.kind,
    from: plan.from,
    to: plan.to,
    strategy: plan.strategy,
    batchSize: plan.batchSize,
    batches: plan.batches,
    machines: plan.machines.map((m) => ({
      id: m.id,
      name: m.name,
      region: m.region,
      processGroup: m.processGroup,
      state: m.state,
      from: m.from,
      configSource: m.configSource,
    })),
    skipped: plan.skipped,
    orphans: plan.orphans.map((o) => ({ id: o.id, version: o.version, finishesAs: o.status })),
    warnings: preflightWarnings(plan, history),
  };
}

function preflightWarnings(plan: RolloutPlan, history: VersionHistory): string[] {
  const warnings: string[] = [];
  const to = plan.to.version ?? plan.to.key;
  if (plan.machines.length === 0) {
    warnings.push(
      plan.orphans.length > 0
        ? `Every machine already runs ${to}: executing finishes ${plan.orphans.map((o) => `v${o.version}`).join(", ")}, left running by an earlier run, and puts its machines back if their checks fail.`
        : `Every machine already runs ${to}: executing changes no machine.`,
    );
  }
  const cold = plan.machines.filter((m) => m.state !== "started");
  if (cold.length > 0) {
    // The engine gives a stopped machine its new image without starting it, as flyctl does.
    warnings.push(
      `${count(cold.length, "machine")} not started (${cold.map((m) => `${m.id}: ${m.state}`).join(", ")}): updated without being started, so not health-checked.`,
    );
  }
  if (history.drift) {
    const groups = history.driftGroups.map(
      (g) => `${g.machineIds.length} on ${g.version ?? g.key ?? "an unknown image"}`,
    );
    warnings.push(
      `The machines do not all run the same version now${groups.length > 0 ? ` (${groups.join(", ")})` : ""}.`,
    );
  }
  if (plan.withConfig) {
    const missing = plan.machines.filter((m) => m.configSource !== "history");
    if (missing.length > 0) {
      warnings.push(
        `No config from when ${missing.map((m) => m.id).join(", ")} ran ${to} was found: ${missing.length === 1 ? "it keeps its" : "they keep their"} current config with the new image.`,
      );
    }
  }
  return warnings;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
