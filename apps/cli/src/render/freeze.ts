import type { Freeze, FreezeState } from "@semfly/core";
import type { Palette } from "./color.js";

const heldVersion = (freeze: Freeze) =>
  freeze.holds ? (freeze.holds.version ?? freeze.holds.digest ?? null) : null;

/** The freeze as `status --json`, `freeze --json` and the action read it. */
export function freezeJson(state: FreezeState | null) {
  if (!state) return null;
  return {
    frozen: !state.expired,
    expired: state.expired,
    by: state.freeze.by,
    reason: state.freeze.reason,
    at: state.freeze.at,
    until: state.freeze.until,
    holds: state.freeze.holds,
    holdsLive: state.holdsLive ?? null,
    machines: { carrying: state.machineIds.length, of: state.machineCount },
  };
}

/** The banner above `versions` and `status`: empty when the app was never frozen. */
export function freezeBanner(state: FreezeState | null, colors: Palette, bin: string): string[] {
  if (!state) return [];
  const { freeze } = state;
  if (state.expired) {
    return [
      colors.dim(
        `Freeze expired at ${freeze.until} (was by ${freeze.by}: ${freeze.reason}); deploys are allowed.`,
      ),
      "",
    ];
  }
  const held = heldVersion(freeze);
  const partial =
    state.machineIds.length < state.machineCount
      ? ` It is on ${state.machineIds.length} of ${state.machineCount} machines.`
      : "";
  return [
    colors.yellow(
      `Frozen by ${freeze.by} ${freeze.until ? `until ${freeze.until}` : "until unfrozen"}: ${freeze.reason}`,
    ),
    `  Deploys are refused${held ? (state.holdsLive === false ? ` (set on ${held}, which is no longer live: rolled back since without a new freeze)` : ` (holding ${held})`) : ""}; \`${bin} unfreeze\` lifts it.${partial}`,
    "",
  ];
}
