import { inputError } from "../errors.js";
import { DEFAULT_RETRY, type RetryOptions } from "./retry.js";

/**
 * Retry overrides from a JSON object of `retries`, `minDelayMs`, `maxDelayMs`, `maxRetryAfterMs`, as the CLI
 * reads `SEMFLY_RETRY`: suites that fake an outage against the emulator need not sleep Fly-sized back-offs.
 * Unknown keys and negative or non-numbers are bad input; unset or empty, the real policy applies.
 */
export function parseRetryOptions(text: string | undefined): Partial<RetryOptions> {
  if (text === undefined || text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const bad = () =>
    inputError(
      "INVALID_RETRY",
      `SEMFLY_RETRY is not a JSON object of ${Object.keys(DEFAULT_RETRY).join(", ")} (numbers of at least 0).`,
      'Unset it, or set e.g. {"minDelayMs":5,"maxDelayMs":50}.',
    );
  if (!value || typeof value !== "object" || Array.isArray(value)) throw bad();
  const out: Record<string, number> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!(key in DEFAULT_RETRY) || typeof item !== "number" || !(item >= 0)) throw bad();
    if (key === "retries" && !Number.isInteger(item)) throw bad();
    out[key] = item;
  }
  return out as Partial<RetryOptions>;
}
