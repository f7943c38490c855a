import type { VersionHistory } from "@semfly/core";
import type { CommandContext } from "./context.js";

/**
 * How old the view's history may be to plan from. The view reloads every minute by default; a history
 * the user saw within this window is what they chose from, and core's engine guards every update with
 * the machine's current version, so a machine that moved since makes the run stop, never a wrong update.
 */
export const PLAN_HISTORY_MAX_AGE_MS = 30_000;

/** The history an operation plans from: the view's own when fresh, else reloaded through the view's cache. */
export function planHistory(ctx: CommandContext, app: string): Promise<VersionHistory> {
  return ctx.model.historyForPlan(app, PLAN_HISTORY_MAX_AGE_MS);
}
