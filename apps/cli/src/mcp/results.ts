import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describeError } from "../errors.js";
import type { McpContext } from "./context.js";

/** A tool's answer: the CLI's `--json` shape as structured content, and text for a reader. */
export function toolResult(
  structured: Record<string, unknown>,
  text: string,
  options: { isError?: boolean } = {},
): CallToolResult {
  return {
    content: [{ type: "text", text }],
    structuredContent: structured,
    ...(options.isError ? { isError: true } : {}),
  };
}

/**
 * A failure as the CLI reports it: one line, a suggestion, the code; never a stack, never a token
 * (everything is passed through core's redact, as `BaseCommand.catch` does).
 */
export function toolError(
  error: unknown,
  bin: string,
  redact: (text: string) => string,
): CallToolResult {
  const described = describeError(error, "mcp", bin);
  const message = redact(described.message);
  const suggestion = described.suggestion ? redact(described.suggestion) : null;
  return toolResult(
    { error: { code: described.code, message, suggestion } },
    `Error: ${message}${suggestion ? `\n  ${suggestion}` : ""}`,
    { isError: true },
  );
}

/** Runs a tool body; any failure becomes the CLI's one-line error. */
export function guarded<A, E extends { signal: AbortSignal }>(
  context: McpContext,
  body: (args: A, signal: AbortSignal, extra: E) => Promise<CallToolResult>,
) {
  return async (args: A, extra: E): Promise<CallToolResult> => {
    try {
      // The request's signal is the client's cancellation; the server's is its shutdown.
      return await body(args, AbortSignal.any([extra.signal, context.shutdown]), extra);
    } catch (error) {
      return toolError(error, context.bin, context.core.redact);
    }
  };
}
