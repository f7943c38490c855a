import {
  checkDeployAllowed,
  executeRollout,
  gateSources,
  historyFreeze,
  parseRolloutTiming,
  preparePromote,
  type RolloutResult,
  resolvePromoteSource,
} from "@semfly/core";
import * as vscode from "vscode";
import { readRollbackStrategy } from "../config/settings.js";
import { versionName } from "../ui/rolloutText.js";
import { appGates } from "./appGates.js";
import { versionFrom } from "./args.js";
import type { CommandContext } from "./context.js";
import { planHistory } from "./planHistory.js";

/**
 * "Promote to …" on a version of one app: the same core calls as `semfly promote` (the staging
 * digest, the healthy-in-staging and same-organisation rules, the freeze), confirmed in a modal
 * (ui/promoteUi.ts, answered by the integration tests through setPromoteUi).
 */
export async function promote(
  ctx: CommandContext,
  arg: unknown,
): Promise<RolloutResult | undefined> {
  const source = versionFrom(arg, ctx.model);
  if (!source) {
    void vscode.window.showErrorMessage(
      "semfly: choose a version in the Fly Versions view to promote.",
    );
    return undefined;
  }
  const others = ctx.model.apps.map((a) => a.app.name).filter((name) => name !== source.app);
  const to =
    others.length === 1
      ? others[0]
      : await vscode.window.showQuickPick(others, {
          placeHolder: `Promote ${source.entry.version ?? source.entry.key} from ${source.app} to which app?`,
        });
  if (!to) return undefined;
  const client = await ctx.session.client();
  const { promoted, prepared } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `semfly: planning the promotion to ${to}` },
    async () => {
      const promoted = await resolvePromoteSource(client, {
        from: source.app,
        to,
        version: source.entry.key,
      });
      // The target's history as the view holds it (reloaded through its cache when not fresh).
      const history = await planHistory(ctx, to);
      checkDeployAllowed(to, historyFreeze(history, Date.now()), { unfreeze: false });
      const strategy = readRollbackStrategy();
      return {
        promoted,
        prepared: await preparePromote(client, promoted, { to, history, strategy }),
      };
    },
  );
  const { plan, preflight } = prepared;
  const ui = ctx.promoteUi(promoted);
  // The target's semfly.toml gates judge it, as `semfly promote` run beside its fly.toml would.
  const gates = await appGates(ctx, to);
  if (!(await ui.confirm(plan, preflight, gates))) return undefined;
  ctx.log.info(`Promoting ${versionName(plan.to)} from ${source.app} to ${to}`);
  let result: RolloutResult;
  try {
    result = await ui.withProgress(plan, (signal, onEvent) =>
      executeRollout(client, plan, {
        signal,
        onEvent,
        gates: { gates, sources: gateSources(client, to) },
        timing: parseRolloutTiming(process.env.SEMFLY_ROLLOUT_TIMING),
      }),
    );
  } finally {
    void ctx.model.refresh(to);
  }
  await ui.showResult(result);
  return result;
}
