/** When bluegreen can run at all (as flyctl): no volumes, and at least one health check to judge green by. */
import { inputError } from "../errors.js";
import type { GateSet } from "../verify/types.js";
import type { PlannedMachine } from "./plan.js";
import { configuredCheckCount } from "./plan.js";

/** flyctl's default for `--keep-previous` is none; semfly keeps blue parked a day for an instant rollback. */
export const DEFAULT_KEEP_PREVIOUS_MS = 24 * 60 * 60_000;

export function refuseBluegreen(machines: readonly PlannedMachine[]): void {
  const withVolume = machines.find(
    (m) => Array.isArray(m.currentConfig.mounts) && m.currentConfig.mounts.length > 0,
  );
  if (withVolume) {
    throw inputError(
      "BLUEGREEN_VOLUMES",
      `--strategy bluegreen cannot run: machine ${withVolume.id} has a volume, and a volume attaches to one machine only.`,
      "Use --strategy rolling for apps with volumes.",
    );
  }
  if (machines.length > 0 && machines.every((m) => configuredCheckCount(m.targetConfig) === 0)) {
    throw inputError(
      "BLUEGREEN_NO_CHECKS",
      "--strategy bluegreen needs at least one health check to know green is healthy; the app has none.",
      "Add [[http_service.checks]] or [checks] to fly.toml, or use --strategy rolling.",
    );
  }
}

/** `--keep`: a whole number of parked sets, at least 1 (`--keep-previous 0` is how to park none). */
export function validateKeepSets(keep: number): void {
  if (!Number.isInteger(keep) || keep < 1) {
    throw inputError(
      "INVALID_KEEP",
      `--keep ${keep} is not a whole number of parked sets of at least 1.`,
      "Pass --keep 1 (the default) or more; --keep-previous 0 parks nothing.",
    );
  }
}

/**
 * Whether a rollback starts the target's parked set or redeploys it. An instant rollback waits for Fly's
 * checks only: gates, probes and a bake window (flags or semfly.toml [verify]) would not judge it, so with
 * any of them the default is a redeploy they judge, and an explicit `--instant` is refused rather than
 * reported complete unjudged.
 */
export function chooseRollbackMode(input: {
  parked: boolean;
  /** `--instant` (true), `--no-instant` (false), or neither. */
  asked: boolean | undefined;
  gates: GateSet;
}): "instant" | "redeploy" {
  const gated =
    input.gates.probes.length > 0 || input.gates.metrics.length > 0 || input.gates.bakeMs > 0;
  if (input.asked === true && gated) {
    throw inputError(
      "INSTANT_WITH_GATES",
      "An instant rollback cannot be judged by gates, probes or a bake window (from the flags or semfly.toml): it waits for Fly's checks only.",
      "Pass --no-instant to redeploy under the gates, or drop them for an instant rollback.",
    );
  }
  if (input.asked === false || gated) return "redeploy";
  return input.parked || input.asked === true ? "instant" : "redeploy";
}
