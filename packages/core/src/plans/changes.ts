import type { PlanBinding } from "./binding.js";

/**
 * Everything that differs between the binding a plan was made with and the binding of the same request
 * planned again now, one sentence each; empty when the plan still describes what would happen. Pure.
 */
export function changesSince(bound: PlanBinding, now: PlanBinding): string[] {
  const changes: string[] = [];
  if (bound.app !== now.app) changes.push(`the app is ${now.app}, not ${bound.app}`);
  if (bound.target.digest !== now.target.digest) {
    changes.push(
      `the target ${bound.target.key} now resolves to ${now.target.key} (${now.target.digest}), not ${bound.target.digest}`,
    );
  } else if (bound.target.image !== now.target.image) {
    changes.push(`the target image is now ${now.target.image}, not ${bound.target.image}`);
  }
  if ((bound.from?.digest ?? null) !== (now.from?.digest ?? null)) {
    changes.push(`the live version moved from ${nameOf(bound.from)} to ${nameOf(now.from)}`);
  }
  const before = new Map(bound.machines.map((m) => [m.id, m]));
  const after = new Map(now.machines.map((m) => [m.id, m]));
  for (const [id, machine] of before) {
    const current = after.get(id);
    if (!current) changes.push(`machine ${id} is gone`);
    else if (current.instanceId !== machine.instanceId) {
      changes.push(
        `machine ${id} changed (config version ${machine.instanceId} → ${current.instanceId})`,
      );
    } else if (current.planned !== machine.planned) {
      changes.push(
        `machine ${id} ${current.planned ? "now needs an update" : "no longer needs an update"}`,
      );
    }
  }
  for (const id of after.keys()) {
    if (!before.has(id)) changes.push(`machine ${id} is new`);
  }
  if (bound.latestRelease !== now.latestRelease) {
    changes.push(
      `Fly recorded release v${now.latestRelease} since the plan (it was made at v${bound.latestRelease ?? "none"})`,
    );
  }
  if (bound.strategy !== now.strategy || bound.maxUnavailable !== now.maxUnavailable) {
    changes.push(`the strategy is now ${now.strategy} (max unavailable ${now.maxUnavailable})`);
  }
  if (bound.withConfig !== now.withConfig) changes.push("the config choice differs");
  if (bound.kind !== now.kind) changes.push(`the plan is now a ${now.kind}`);
  return changes;
}

function nameOf(ref: PlanBinding["from"]): string {
  return ref ? ref.key : "nothing";
}
