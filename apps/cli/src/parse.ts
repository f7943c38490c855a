/** Parsing of flag values the way flyctl writes them. Pure; the commands turn a null into an input error. */

// The one Go-duration parser, from core's small subpath so the CLI's start-up does not load all of core.
export { parseDuration } from "@semfly/core/duration";

/**
 * `--max-unavailable`: a fraction between 0 and 1 (0.33) or a whole count (2, 2.0), as flyctl takes it;
 * null for anything else (1.5, 0, a word).
 */
export function parseMaxUnavailable(text: string): number | null {
  const input = text.trim();
  if (!/^(?:\d+(?:\.\d+)?|\.\d+)$/.test(input)) return null;
  const value = Number(input);
  const fraction = value > 0 && value < 1;
  const count = value >= 1 && Number.isSafeInteger(value);
  return fraction || count ? value : null;
}
