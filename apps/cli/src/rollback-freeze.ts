import type { FreezeClient, PreparedRollout, RolloutResult } from "@semfly/core";
import { currentActor } from "./actor.js";
import type { CoreModule } from "./base-command.js";
import { freezeJson } from "./render/freeze.js";
import type { AfterComplete } from "./rollout-runner.js";

/**
 * After a complete rollback: freeze the app on the version it rolled back to, so the next CI push cannot
 * silently redeploy what was just rolled back. A freeze that cannot be written fails the command (exit 1)
 * with the way to retry, since the rollback itself stands.
 */
export async function freezeAfterRollback(input: {
  core: CoreModule;
  client: FreezeClient;
  prepared: PreparedRollout;
  /** What it rolled back from and to (a rollout's result, or an instant rollback's). */
  result: Pick<RolloutResult, "from" | "to">;
  reason: string | null;
  now: number;
  bin: string;
  signal: AbortSignal;
}): Promise<AfterComplete> {
  const { core, prepared, result } = input;
  const freeze = core.rollbackFreeze(result, {
    by: currentActor(core),
    reason: input.reason,
    now: input.now,
  });
  try {
    const outcome = await core.freezeApp(input.client, prepared.history, freeze, {
      signal: input.signal,
    });
    return {
      lines: [
        `Froze ${prepared.plan.app} ${core.freezeLine(freeze)}`,
        "  CI deploys through semfly are refused until `semfly unfreeze` (or `semfly deploy --unfreeze`).",
        ...outcome.warnings.map((warning) => `Warning: ${warning}`),
      ],
      json: {
        freeze: freezeJson({
          freeze,
          expired: false,
          machineIds: outcome.machineIds,
          machineCount: prepared.history.machines.length,
          // It holds the version the rollback just made live.
          holdsLive: freeze.holds ? true : null,
        }),
      },
      failed: false,
    };
  } catch (error) {
    const message = error instanceof Error ? core.redact(error.message) : String(error);
    return {
      lines: [
        `Error: rolled back, but the freeze failed: ${message}`,
        `  Freeze it by hand: ${input.bin} freeze --app ${prepared.plan.app} --reason '${freeze.reason}'`,
      ],
      json: { freeze: null, freezeError: message },
      failed: true,
    };
  }
}
