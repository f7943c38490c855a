import { colorEnabled, type Palette, palette } from "./color.js";

/** Where human output goes and how wide it may be. */
export interface Terminal {
  width: number;
  colors: Palette;
  isTTY: boolean;
}

type Env = Record<string, string | undefined>;

/** COLUMNS wins (tests and pipes set it), then the terminal's width; off a terminal nothing is truncated. */
export function terminalWidth(stream: { columns?: number; isTTY?: boolean }, env: Env): number {
  const fromEnv = Number.parseInt(env.COLUMNS ?? "", 10);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns;
  return Number.POSITIVE_INFINITY;
}

export function terminalOf(
  stream: { columns?: number; isTTY?: boolean },
  env: Env = process.env,
): Terminal {
  return {
    width: terminalWidth(stream, env),
    colors: palette(colorEnabled(stream, env)),
    isTTY: stream.isTTY === true,
  };
}
