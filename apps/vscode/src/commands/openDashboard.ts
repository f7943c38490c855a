import * as vscode from "vscode";
import { DASHBOARD_BASE_URL } from "../constants.js";
import { appFrom } from "./args.js";
import type { CommandContext } from "./context.js";

export async function openDashboard(ctx: CommandContext, arg?: unknown): Promise<boolean> {
  const app = await appFrom(arg, ctx.model);
  if (!app) return false;
  return vscode.env.openExternal(
    vscode.Uri.parse(`${DASHBOARD_BASE_URL}${encodeURIComponent(app)}`),
  );
}
