import type { ServerNotification } from "@modelcontextprotocol/sdk/types.js";
import type { RolloutEvent, RolloutPlan } from "@semfly/core";
import { plainProgress } from "../render/rollout.js";

interface ProgressExtra {
  _meta?: { progressToken?: string | number | undefined } | undefined;
  sendNotification(notification: ServerNotification): Promise<void>;
}

/**
 * The engine's events as MCP progress notifications, one per line the CLI would print, when the client
 * asked for progress (sent a progressToken). `progress` counts the lines: it must grow with each one,
 * and the engine cannot know in advance how many there will be (reverts, retries).
 */
export function progressNotifier(
  plan: RolloutPlan,
  extra: ProgressExtra,
  redact: (text: string) => string,
): ((event: RolloutEvent) => void) | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  const lineOf = plainProgress(plan);
  let step = 0;
  return (event) => {
    const line = lineOf(event);
    if (!line) return;
    step++;
    extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: step, message: redact(line) },
      })
      // A client that went away cannot be told; the rollout goes on to its end (or its interruption).
      .catch(() => {});
  };
}
