import {
  chooseRollbackMode,
  DEFAULT_KEEP_PARKED_SETS,
  DEFAULT_KEEP_PREVIOUS_MS,
  type FlyMachine,
  type InstantResult,
  inputError,
  instantRollback,
  parkedSetFor,
  parkedSets,
  parseRolloutTiming,
  prepareRollback,
  type RollbackTarget,
  setsDroppedByKeep,
  type VersionHistory,
} from "@semfly/core";
import * as vscode from "vscode";
import { readRollbackStrategy } from "../config/settings.js";
import { machineCount } from "../tree/format.js";
import { describeRolloutEvent, versionName } from "../ui/rolloutText.js";
import { appGates } from "./appGates.js";
import { versionFrom } from "./args.js";
import type { CommandContext } from "./context.js";
import { freezeAfterRollback } from "./freezeAfterRollback.js";
import { planHistory } from "./planHistory.js";

/** Every machine of the history's listing: parked ones are among the unmanaged (core's rule). */
function listing(history: VersionHistory): FlyMachine[] {
  return [...history.machines.map((i) => i.machine), ...history.unmanaged.map((u) => u.machine)];
}

/**
 * "Roll Back Instantly" on a parked version: the same core calls as `semfly rollback --instant` (plan
 * the rollback, find the target's parked set, start it, park the current machines in exchange). The user
 * confirms in a modal that says what is parked in exchange; the result offers an instant Undo.
 */
export async function rollbackInstantly(
  ctx: CommandContext,
  arg: unknown,
): Promise<InstantResult | undefined> {
  const target = versionFrom(arg, ctx.model);
  if (!target) {
    void vscode.window.showErrorMessage(
      "semfly: choose a parked version in the Fly Versions view to roll back to instantly.",
    );
    return undefined;
  }
  return instantTo(ctx, target.app, { key: target.entry.key });
}

async function instantTo(
  ctx: CommandContext,
  app: string,
  target: RollbackTarget,
): Promise<InstantResult | undefined> {
  const client = await ctx.session.client();
  const { prepared, machines } = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Window,
      title: `semfly: planning the instant rollback of ${app}`,
    },
    async () => {
      const history = await planHistory(ctx, app);
      const prepared = await prepareRollback(client, app, {
        history,
        target,
        strategy: readRollbackStrategy(),
      });
      return { prepared, machines: listing(prepared.history) };
    },
  );
  const { plan, preflight } = prepared;
  // As `semfly rollback --instant`: gates in semfly.toml cannot judge an instant rollback, so it is refused.
  chooseRollbackMode({ parked: true, asked: true, gates: await appGates(ctx, app) });
  const set = parkedSetFor(plan, machines, Date.now());
  if (!set) {
    throw inputError(
      "NOT_PARKED",
      `${versionName(plan.to)} is not parked on ${app}: an instant rollback is impossible.`,
      "Use Roll Back to This Version to redeploy it instead.",
    );
  }
  const keepPreviousMs = DEFAULT_KEEP_PREVIOUS_MS;
  const keptUntil = new Date(Date.now() + keepPreviousMs).toISOString();
  const ui = ctx.rollbackUi();
  const drops = setsDroppedByKeep(parkedSets(machines, Date.now()), set.set, {
    keepParkedSets: DEFAULT_KEEP_PARKED_SETS,
    keepPreviousMs,
  });
  if (!(await ui.confirmInstant({ plan, set, keptUntil, drops, preflight }))) {
    ctx.log.info(`Instant rollback of ${app} to ${versionName(plan.to)} not confirmed`);
    return undefined;
  }

  ctx.log.info(
    `Rolling back ${app} instantly from ${versionName(plan.from)} to ${versionName(plan.to)}: starting ${machineCount(set.machines.length)}, parking ${machineCount(plan.machines.length)}`,
  );
  let result: InstantResult;
  try {
    result = await ui.withProgress(
      plan,
      (signal, onEvent) =>
        instantRollback(client, { ...plan, strategy: "bluegreen" }, machines, {
          signal,
          keepPreviousMs,
          // The real delays unless the emulator suites ask for short ones (as the CLI reads them).
          timing: parseRolloutTiming(process.env.SEMFLY_ROLLOUT_TIMING),
          onEvent: (event) => {
            const text = describeRolloutEvent(event, plan, set.machines);
            if (text) ctx.log.info(`${app}: ${text}`);
            onEvent(event);
          },
        }),
      {
        title: `Rolling back ${app} instantly to ${versionName(plan.to)}`,
        steps: set.machines.length,
        machines: set.machines,
      },
    );
  } finally {
    // Whatever happened, show what the machines run now.
    void ctx.model.refresh(app);
  }
  ctx.log.info(
    `Instant rollback of ${app} ${result.status}${result.reason ? `: ${result.reason}` : ""}`,
  );
  for (const warning of result.warnings) ctx.log.warn(`${app}: ${warning}`);
  if (result.status === "complete") await freezeAfterRollback(ctx, client, app, result);

  // Undone by digest, as `semfly rollback --instant DIGEST` is: the parked set is found by its digest.
  const undo = result.from;
  if ((await ui.showInstantResult(result, keptUntil)) === "undo" && undo) {
    return instantTo(ctx, app, undo.digest ? { spec: undo.digest } : { key: undo.key });
  }
  return result;
}
