import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describeError } from "../errors.js";

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
