import * as vscode from "vscode";
import { versionFrom } from "./args.js";
import type { CommandContext } from "./context.js";

export async function copyDigest(ctx: CommandContext, arg: unknown): Promise<void> {
  const target = versionFrom(arg, ctx.model);
  const digest = target?.entry.digest;
  if (!digest) {
    void vscode.window.showWarningMessage("semfly: this version's image digest is unknown.");
    return;
  }
  await vscode.env.clipboard.writeText(digest);
  vscode.window.setStatusBarMessage(`$(copy) Copied ${digest.slice(0, 19)}…`, 3000);
}
