export { LAUNCH_ID_KEY } from "./bluegreen.js";
export {
  chooseRollbackMode,
  DEFAULT_KEEP_PREVIOUS_MS,
  validateKeepSets,
} from "./bluegreen-rules.js";
export { killedInstantTo } from "./dead-instant.js";
export * from "./events.js";
export * from "./execute.js";
export { gateFailureReason, hasGates, type RolloutGates } from "./gates-step.js";
export {
  DEFAULT_LEASE_TTL_SECONDS,
  MAX_LEASE_TTL_SECONDS,
  MIN_LEASE_TTL_SECONDS,
  validateLeaseTtl,
} from "./leases.js";
export * from "./plan.js";
export type * from "./port.js";
export { definitionForRelease } from "./release-record.js";
export * from "./result.js";
export { DEFAULT_TIMING, parseRolloutTiming, type RolloutTiming } from "./timing.js";
