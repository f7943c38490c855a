import { dirname } from "node:path";
import { EMPTY_GATES, type GateSet, loadGateFile } from "@semfly/core";
import * as vscode from "vscode";
import type { CommandContext } from "./context.js";

/** The gates in semfly.toml beside the first fly.toml that names the app; none when there is no such file. */
export async function appGates(ctx: CommandContext, app: string): Promise<GateSet> {
  const source = ctx.model
    .get(app)
    ?.app.sources.find((s): s is { kind: "fly.toml"; file: string } => s.kind === "fly.toml");
  if (!source) return { ...EMPTY_GATES };
  try {
    return await loadGateFile(dirname(source.file));
  } catch (error) {
    ctx.log.error(`Ignored the gates of ${app}'s semfly.toml`, error);
    void vscode.window.showWarningMessage(
      `semfly: ${error instanceof Error ? error.message : String(error)} Rolling back with Fly's checks only.`,
    );
    return { ...EMPTY_GATES };
  }
}
