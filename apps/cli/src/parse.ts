/** Parsing of flag values the way flyctl writes them. Pure; the commands turn a null into an input error. */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go duration (`90s`, `5m`, `1m30s`, `1.5h`, `500ms`), as flyctl's `--wait-timeout` takes it, in
 * milliseconds; null when it is not one. A bare number has no unit and is refused, as Go refuses it.
 */
export function parseDuration(text: string): number | null {
  const input = text.trim();
  if (input === "") return null;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < input.length) {
    part.lastIndex = index;
    const match = part.exec(input);
    if (!match) return null;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    index = part.lastIndex;
  }
  return Number.isFinite(total) ? total : null;
}

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
