import { isSemflyError, redact } from "@semfly/core";
import * as vscode from "vscode";
import { type CommandId, Commands } from "../constants.js";
import type { Disposable } from "../model/events.js";
import { DisposableStore } from "../platform/lifecycle.js";
import { compareWithLive } from "./compareWithLive.js";
import type { CommandContext } from "./context.js";
import { copyDigest } from "./copyDigest.js";
import { openDashboard } from "./openDashboard.js";
import { promote } from "./promote.js";
import { refresh } from "./refresh.js";
import { rollback } from "./rollback.js";
import { rollbackInstantly } from "./rollbackInstantly.js";
import { setToken } from "./setToken.js";
import { showLog } from "./showLog.js";
import { signOut } from "./signOut.js";

type Handler = (ctx: CommandContext, arg?: unknown) => unknown;

/** Every contributed command, each with its handler: the Record type makes a missing one a compile error. */
export const COMMAND_HANDLERS: Record<CommandId, Handler> = {
  [Commands.refresh]: refresh,
  [Commands.rollback]: rollback,
  [Commands.copyDigest]: copyDigest,
  [Commands.compareWithLive]: compareWithLive,
  [Commands.openDashboard]: openDashboard,
  [Commands.showLog]: showLog,
  [Commands.setToken]: setToken,
  [Commands.signOut]: signOut,
  [Commands.promote]: promote,
  [Commands.rollbackInstantly]: rollbackInstantly,
};

/** Register every command; failures become one error notification (with core's suggestion) and a log line. */
export function registerCommands(ctx: CommandContext): Disposable {
  const store = new DisposableStore();
  for (const [id, handler] of Object.entries(COMMAND_HANDLERS)) {
    store.add(
      vscode.commands.registerCommand(id, async (arg?: unknown) => {
        try {
          return await handler(ctx, arg);
        } catch (error) {
          reportFailure(ctx, id, error);
          return undefined;
        }
      }),
    );
  }
  return store;
}

function reportFailure(ctx: CommandContext, id: string, error: unknown): void {
  ctx.log.error(`${id} failed`, error);
  const message = redact(error instanceof Error ? error.message : String(error));
  const suggestion = isSemflyError(error) && error.suggestion ? ` ${error.suggestion}` : "";
  void vscode.window
    .showErrorMessage(`semfly: ${message}${suggestion}`, "Show Log")
    .then((answer) => {
      if (answer) ctx.log.show();
    });
}
