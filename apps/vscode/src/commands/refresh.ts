import { AppNode } from "../tree/nodes/appNode.js";
import type { CommandContext } from "./context.js";

/** Reload one app (from its row), or look for the token and apps again and reload all. */
export async function refresh(ctx: CommandContext, arg?: unknown): Promise<void> {
  if (arg instanceof AppNode) {
    await ctx.model.refresh(arg.app);
    return;
  }
  await ctx.sync();
}
