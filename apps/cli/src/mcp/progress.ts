import type { ServerNotification } from "@modelcontextprotocol/sdk/types.js";
import type { RolloutEvent, RolloutPlan } from "@semfly/core";
import { plainProgress } from "../render/rollout.js";

const PROGRESS_TO_RESULT_GAP_MS = 25;

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
): ProgressNotifier | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  const lineOf = plainProgress(plan);
  let step = 0;
  let sent: Promise<void> = Promise.resolve();
  let lastSentAt = 0;
  return {
    onEvent(event) {
      const line = lineOf(event);
      if (!line) return;
      step++;
      const notification: ServerNotification = {
        method: "notifications/progress",
        params: { progressToken: token, progress: step, message: redact(line) },
      };
      // In order, and each one out before the result: the client stops listening once it has the result.
      sent = sent.then(() =>
        extra
          .sendNotification(notification)
          .then(() => {
            lastSentAt = Date.now();
          })
          // A client that went away cannot be told; the rollout goes on to its end (or its interruption).
          .catch(() => {}),
      );
    },
    async flush() {
      await sent;
      // The SDK's client handles a notification a tick after reading it but a result at once, and
      // forgets the progress token with the result: progress read together with the result is lost, or
      // raised as an error (typescript-sdk#2580; Claude Code once dropped the transport on it,
      // claude-code#47765). A short gap after the last one keeps them in separate reads.
      const gap = PROGRESS_TO_RESULT_GAP_MS - (Date.now() - lastSentAt);
      if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
    },
  };
}

export interface ProgressNotifier {
  onEvent(event: RolloutEvent): void;
  /** Resolves once every notification so far is out, and a moment has passed since the last one. */
  flush(): Promise<void>;
}
