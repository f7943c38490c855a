/** Durations the way flyctl's flags take them (Go's `time.ParseDuration`). Pure. */

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

/** The shortest Go-style spelling of a whole number of milliseconds: `10m`, `90s`, `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
