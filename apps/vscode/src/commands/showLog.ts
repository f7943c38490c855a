import type { CommandContext } from "./context.js";

export function showLog(ctx: CommandContext): void {
  ctx.log.show();
}
