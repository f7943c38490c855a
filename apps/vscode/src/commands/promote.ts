import {
  checkDeployAllowed,
  executeRollout,
  historyFreeze,
  preparePromote,
  type RolloutResult,
  resolvePromoteSource,
} from "@semfly/core";
import * as vscode from "vscode";
import { readRollbackStrategy } from "../config/settings.js";
import { promoteConfirmation } from "../ui/promoteText.js";
import { describeRolloutEvent, rolloutResultMessage, versionName } from "../ui/rolloutText.js";
import { versionFrom } from "./args.js";
import type { CommandContext } from "./context.js";
import { planHistory } from "./planHistory.js";

const PROMOTE = "Promote";
const SHOW_PLAN = "Show Plan";

/**
 * "Promote to …" on a version of one app: the same core calls as `semfly promote` (the staging
 * digest, the healthy-in-staging and same-organisation rules, the freeze), confirmed in a modal.
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
  const { message, detail } = promoteConfirmation(plan, promoted, preflight);
  // As for a rollback, the default (first) button only shows the plan.
  const answer = await vscode.window.showWarningMessage(
    message,
    { modal: true, detail },
    SHOW_PLAN,
    PROMOTE,
  );
  if (answer !== PROMOTE) {
    if (answer === SHOW_PLAN) {
      ctx.log.info(`Promotion not started. The plan was:\n${message}\n${detail}`);
      ctx.log.show();
    }
    return undefined;
  }
  ctx.log.info(`Promoting ${versionName(plan.to)} from ${source.app} to ${to}`);
  let result: RolloutResult;
  try {
    result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Promoting ${versionName(plan.to)} to ${to}`,
        cancellable: true,
      },
      (progress, token) => {
        const controller = new AbortController();
        const cancelled = token.onCancellationRequested(() => controller.abort());
        return executeRollout(client, plan, {
          signal: controller.signal,
          onEvent: (event) => {
            const text = describeRolloutEvent(event, plan);
            if (!text) return;
            ctx.log.info(`${to}: ${text}`);
            progress.report({ message: text });
          },
        }).finally(() => cancelled.dispose());
      },
    );
  } finally {
    void ctx.model.refresh(to);
  }
  const { severity, message: outcome } = rolloutResultMessage(result);
  const show =
    severity === "info"
      ? vscode.window.showInformationMessage
      : severity === "warning"
        ? vscode.window.showWarningMessage
        : vscode.window.showErrorMessage;
  void show(outcome);
  return result;
}
