import * as vscode from "vscode";
import type { CommandContext } from "./context.js";

/** Ask for a token and keep it in SecretStorage (never in settings). */
export async function setToken(ctx: CommandContext): Promise<boolean> {
  const token = await vscode.window.showInputBox({
    title: "Set Fly API Token",
    prompt:
      "Paste a Fly API token, e.g. from `fly tokens create deploy`. It is kept in VS Code's secret storage.",
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === "" ? "The token is empty." : undefined),
  });
  if (!token) return false;
  await ctx.tokens.store(token);
  ctx.log.info("Stored a Fly API token in VS Code's secret storage");
  await ctx.sync();
  return true;
}
