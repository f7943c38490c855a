/** Parsing of flag values the way flyctl writes them. Pure; the commands turn a null into an input error. */

// The one Go-duration parser, from core's small subpath so the CLI's start-up does not load all of core.
export { parseDuration } from "@semfly/core/duration";

/** `--max-unavailable`: a fraction (0.33) or a count (2); null when the text is not a number at all. */
export function parseMaxUnavailable(text: string): number | null {
  const input = text.trim();
  if (!/^(?:\d+(?:\.\d+)?|\.\d+)$/.test(input)) return null;
  return Number(input);
}
