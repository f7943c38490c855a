import type { RolloutPlan } from "../rollout/plan.js";
import type { VersionHistory } from "../versions/history.js";

/**
 * What a plan was made from, reduced to what must not move before it runs: the app, the version it goes
 * from and to (by digest), every machine with its config version, how it rolls, and the newest release.
 * Two plans with equal bindings do the same thing to the same machines.
 */
export interface PlanBinding {
  app: string;
  kind: RolloutPlan["kind"];
  /** The live version's key and digest when planned (null when nothing was live). */
  from: { key: string; digest: string | null } | null;
  target: { key: string; digest: string; image: string };
  strategy: RolloutPlan["strategy"];
  maxUnavailable: number;
  withConfig: boolean;
  /** Every app machine, planned or skipped, with its `instance_id`, by id. */
  machines: { id: string; instanceId: string; planned: boolean }[];
  /** The highest Fly release number in the history: a new release means someone else acted. */
  latestRelease: number | null;
}

/** The binding of a plan and the history it was made from. Pure. */
export function bindingOf(plan: RolloutPlan, history: VersionHistory): PlanBinding {
  const planned = new Set(plan.machines.map((m) => m.id));
  const releases = history.versions.flatMap((v) => v.releases.map((r) => r.version));
  if (history.currentRelease) releases.push(history.currentRelease.version);
  return {
    app: plan.app,
    kind: plan.kind,
    from: plan.from ? { key: plan.from.key, digest: plan.from.digest } : null,
    target: { key: plan.to.key, digest: plan.to.digest, image: plan.to.image },
    strategy: plan.strategy,
    maxUnavailable: plan.maxUnavailable,
    withConfig: plan.withConfig,
    machines: history.machines
      .map(({ machine }) => ({
        id: machine.id,
        instanceId: machine.instanceId,
        planned: planned.has(machine.id),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    latestRelease: releases.length > 0 ? Math.max(...releases) : null,
  };
}
