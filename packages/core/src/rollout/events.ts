import type { GateResult } from "../verify/types.js";
import type { RolloutPlan } from "./plan.js";

/** What the engine reports while it works. It prints nothing; the CLI and the extension render these. */
export type RolloutEvent =
  | { type: "plan"; plan: RolloutPlan }
  | { type: "machine-leased"; machineId: string }
  | { type: "release-created"; release: { id: string; version: number } }
  | { type: "release-status"; status: string; release: { id: string; version: number } }
  | { type: "release-command"; status: "running" | "succeeded" | "failed"; reason?: string }
  | { type: "batch-started"; index: number; of: number; machineIds: string[] }
  | { type: "machine-updated"; machineId: string }
  | { type: "machine-started"; machineId: string }
  | { type: "checks-passing"; machineId: string }
  | { type: "machine-settled"; machineId: string; state: "cold" }
  | { type: "machine-verified"; machineId: string }
  | { type: "machine-failed"; machineId: string; reason: string }
  | { type: "machine-reverting"; machineId: string }
  | { type: "machine-reverted"; machineId: string }
  | { type: "revert-failed"; machineId: string; reason: string }
  | { type: "lease-released"; machineId: string }
  /** One round of gate results; `summary` is the line both apps show. */
  | { type: "gates"; phase: "batch" | "bake"; results: GateResult[]; summary: string }
  | { type: "warning"; message: string };

export type RolloutEventListener = (event: RolloutEvent) => void;
