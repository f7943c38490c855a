import * as vscode from "vscode";
import { TOKEN_SOURCE_NAMES } from "../auth/tokenStore.js";
import type { CommandContext } from "./context.js";

/** Remove the stored token. A token from the environment or flyctl stays in use, and we say so. */
export async function signOut(ctx: CommandContext): Promise<void> {
  const fallback = await ctx.tokens.delete();
  ctx.session.reset();
  ctx.log.info("Removed the Fly API token from VS Code's secret storage");
  if (fallback) {
    void vscode.window.showInformationMessage(
      `Removed the token stored in VS Code. semfly still uses the token from ${TOKEN_SOURCE_NAMES[fallback.source]}.`,
    );
  } else {
    ctx.model.clear();
  }
  await ctx.sync();
}
