import {
  executeRollout,
  gateSources,
  parseRolloutTiming,
  prepareRollback,
  type RolloutResult,
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

/**
 * Roll back to the version the command was invoked on. Core resolves and plans from the view's history
 * (reloaded through its cache when it is not fresh); the user confirms in a modal; core executes under a
 * cancellable progress; the result offers Undo (a rollback to the version that was live before,
 * confirmed again).
 */
export async function rollback(
  ctx: CommandContext,
  arg: unknown,
): Promise<RolloutResult | undefined> {
  const target = versionFrom(arg, ctx.model);
  if (!target) {
    void vscode.window.showErrorMessage(
      "semfly: choose a version in the Fly Versions view to roll back to.",
    );
    return undefined;
  }
  return rollbackTo(ctx, target.app, target.entry.key);
}

async function rollbackTo(
  ctx: CommandContext,
  app: string,
  key: string,
): Promise<RolloutResult | undefined> {
  const client = await ctx.session.client();
  const strategy = readRollbackStrategy();
  const { plan, preflight } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `semfly: planning the rollback of ${app}` },
    async () =>
      prepareRollback(client, app, {
        history: await planHistory(ctx, app),
        target: { key },
        strategy,
      }),
  );
  if (plan.machines.length === 0) {
    void vscode.window.showInformationMessage(
      `Every machine of ${app} already runs ${versionName(plan.to)}: nothing to roll back.`,
    );
    return undefined;
  }
  const gates = await appGates(ctx, app);
  const ui = ctx.rollbackUi();
  if (!(await ui.confirm(plan, preflight, gates))) {
    ctx.log.info(`Rollback of ${app} to ${versionName(plan.to)} not confirmed`);
    return undefined;
  }

  ctx.log.info(
    `Rolling back ${app} from ${versionName(plan.from)} to ${versionName(plan.to)}: ${machineCount(plan.machines.length)}, ${plan.strategy}`,
  );
  let result: RolloutResult;
  try {
    result = await ui.withProgress(plan, (signal, onEvent) =>
      executeRollout(client, plan, {
        signal,
        // The real delays unless the emulator suites ask for short ones (as the CLI reads them).
        timing: parseRolloutTiming(process.env.SEMFLY_ROLLOUT_TIMING),
        // The gates of semfly.toml beside the app's fly.toml, as the CLI run there uses them.
        gates: { gates, sources: gateSources(client, app) },
        onEvent: (event) => {
          const text = describeRolloutEvent(event, plan);
          if (text) ctx.log.info(`${app}: ${text}`);
          onEvent(event);
        },
      }),
    );
  } finally {
    // Whatever happened, show what the machines run now.
    void ctx.model.refresh(app);
  }
  ctx.log.info(`Rollback of ${app} ${result.status}${result.reason ? `: ${result.reason}` : ""}`);
  if (result.status === "complete") await freezeAfterRollback(ctx, client, app, result);

  const undoTarget = result.undoTarget;
  if ((await ui.showResult(result)) === "undo" && undoTarget) {
    return rollbackTo(ctx, app, undoTarget.key);
  }
  return result;
}
