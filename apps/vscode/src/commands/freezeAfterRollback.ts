import { hostname, userInfo } from "node:os";
import {
  type FlyClient,
  freezeActor,
  freezeApp,
  freezeLine,
  redact,
  rollbackFreeze,
} from "@semfly/core";
import * as vscode from "vscode";
import { readFreezeAfterRollback } from "../config/settings.js";
import type { CommandContext } from "./context.js";

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it came from.
    return "someone";
  }
}

/**
 * After a complete rollback from the editor: the freeze `semfly rollback` leaves, through the same core
 * rule, so CI cannot redeploy what the editor just rolled back. It goes on the machines that serve now
 * (a fresh listing: an instant or bluegreen rollback serves from machines the plan never listed). A
 * failure leaves the rollback standing and says how to freeze by hand.
 */
export async function freezeAfterRollback(
  ctx: CommandContext,
  client: FlyClient,
  app: string,
  rolled: Parameters<typeof rollbackFreeze>[0],
): Promise<void> {
  if (!readFreezeAfterRollback()) return;
  const freeze = rollbackFreeze(rolled, {
    by: freezeActor(process.env, { user: localUser(), host: hostname() }),
    reason: null,
    now: Date.now(),
  });
  try {
    const history = await ctx.model.historyForPlan(app, 0);
    const outcome = await freezeApp(client, history, freeze);
    ctx.log.info(`Froze ${app} ${freezeLine(freeze)}`);
    for (const warning of outcome.warnings) ctx.log.warn(`${app}: ${warning}`);
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error));
    ctx.log.error(`Rolled back ${app}, but the freeze failed`, error);
    void vscode.window.showWarningMessage(
      `semfly: rolled back ${app}, but the freeze failed: ${message} Freeze it with \`semfly freeze --app ${app}\`.`,
    );
  } finally {
    void ctx.model.refresh(app);
  }
}
