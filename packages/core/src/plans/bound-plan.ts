import { inputError } from "../errors.js";
import type { RolloutPlan } from "../rollout/plan.js";
import type { VersionHistory } from "../versions/history.js";
import { bindingOf, type PlanBinding } from "./binding.js";
import { changesSince } from "./changes.js";

/** How long a plan may be executed after it was made, unless the shell chooses otherwise. */
export const DEFAULT_PLAN_TTL_MS = 5 * 60_000;

/** A plan as it was shown, with what it is bound to and until when it may run. */
export interface BoundPlan {
  id: string;
  plan: RolloutPlan;
  binding: PlanBinding;
  createdAt: number;
  expiresAt: number;
}

export interface BindOptions {
  /** Chosen by the shell (random): the plan's handle. */
  id: string;
  /** Epoch milliseconds. */
  now: number;
  ttlMs?: number;
}

/** Bind a plan to the history it was made from. Pure. */
export function bindPlan(
  prepared: { plan: RolloutPlan; history: VersionHistory },
  options: BindOptions,
): BoundPlan {
  const ttl = options.ttlMs ?? DEFAULT_PLAN_TTL_MS;
  return {
    id: options.id,
    plan: prepared.plan,
    binding: bindingOf(prepared.plan, prepared.history),
    createdAt: options.now,
    expiresAt: options.now + ttl,
  };
}

export function planExpired(bound: Pick<BoundPlan, "expiresAt">, now: number): boolean {
  return now >= bound.expiresAt;
}

/** Refuse a plan that expired. Pure. */
export function assertPlanNotExpired(bound: BoundPlan, now: number): void {
  if (!planExpired(bound, now)) return;
  const age = Math.round((now - bound.createdAt) / 1000);
  throw inputError(
    "PLAN_EXPIRED",
    `Plan ${bound.id} expired: it was made ${age}s ago and could run for ${Math.round((bound.expiresAt - bound.createdAt) / 1000)}s.`,
    "Plan again, review the new plan, and execute that one.",
  );
}

/**
 * Refuse a plan that no longer describes what would happen: `fresh` is the same request planned again
 * from a history read just now. Pure.
 */
export function assertPlanUnchanged(
  bound: BoundPlan,
  fresh: { plan: RolloutPlan; history: VersionHistory },
): void {
  const changes = changesSince(bound.binding, bindingOf(fresh.plan, fresh.history));
  if (changes.length === 0) return;
  throw inputError(
    "PLAN_CHANGED",
    `Plan ${bound.id} no longer matches ${bound.plan.app}: ${changes.join("; ")}.`,
    "Nothing was changed. Plan again, review the new plan, and execute that one.",
  );
}
