export type { PlanBinding } from "./binding.js";
export { bindingOf } from "./binding.js";
export type { BindOptions, BoundPlan } from "./bound-plan.js";
export {
  assertPlanNotExpired,
  assertPlanUnchanged,
  bindPlan,
  DEFAULT_PLAN_TTL_MS,
  planExpired,
} from "./bound-plan.js";
export { changesSince } from "./changes.js";
export type { Preflight } from "./preflight.js";
export { preflightOf } from "./preflight.js";
