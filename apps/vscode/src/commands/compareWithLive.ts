import { diffVersions, findVersionConfigs } from "@semfly/core";
import * as vscode from "vscode";
import { renderVersionDiff } from "../diff/renderDiff.js";
import { versionFrom } from "./args.js";
import type { CommandContext } from "./context.js";

/** Open a read-only document with what differs between the live version and this one. */
export async function compareWithLive(ctx: CommandContext, arg: unknown): Promise<void> {
  const target = versionFrom(arg, ctx.model);
  const live = target?.history.live;
  if (!target || !live) {
    void vscode.window.showWarningMessage("semfly: there is no live version to compare with.");
    return;
  }
  const client = await ctx.session.client();
  const configs = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "semfly: looking up machine configs" },
    () => findVersionConfigs(client, target.history, live, target.entry),
  );
  const diff = diffVersions({ history: target.history, a: live, b: target.entry, configs });
  const document = await ctx.diffs.open(
    `${target.app} ${live.version ?? live.key} → ${target.entry.version ?? target.entry.key}`,
    renderVersionDiff(diff),
  );
  await vscode.window.showTextDocument(document, { preview: true });
}
