import { inputError } from "../errors.js";

/**
 * Every delay the engine uses, in one object so tests (and the bench) can run a rollout in milliseconds.
 * The defaults are the real values, chosen against Fly's behaviour and flyctl's.
 */
export interface RolloutTiming {
  /** How long one wait for a state lasts before semfly looks at the machine itself. */
  waitSliceSeconds: number;
  /** Health-check polls back off from the first to the last delay. */
  checkPollMinMs: number;
  checkPollMaxMs: number;
  /** Lease refreshes, from the moment each lease is taken; null = a third of the TTL (flyctl: 4 s of 13 s). */
  leaseRefreshMs: number | null;
  /** After a machine starts, its events are watched this long for a crash loop (flyctl: about 10 s). */
  crashWatchMs: number;
  /** How often the events are read while watching. */
  crashPollMs: number;
}

export const DEFAULT_TIMING: RolloutTiming = {
  waitSliceSeconds: 5,
  checkPollMinMs: 250,
  checkPollMaxMs: 2_000,
  leaseRefreshMs: null,
  crashWatchMs: 10_000,
  crashPollMs: 1_000,
};

export function resolveTiming(overrides: Partial<RolloutTiming> | undefined): RolloutTiming {
  return { ...DEFAULT_TIMING, ...overrides };
}

/** The refresh cadence for a TTL: often enough that two refreshes can fail before the lease lapses. */
export function leaseRefreshMs(timing: RolloutTiming, ttlSeconds: number): number {
  return timing.leaseRefreshMs ?? Math.max(100, Math.floor((ttlSeconds * 1000) / 3));
}

/**
 * Timing overrides from a JSON object (the CLI reads `SEMFLY_ROLLOUT_TIMING`, so suites and benchmarks over
 * the emulator can run the shipped CLI fast). Unknown keys and non-numbers are bad input.
 */
export function parseRolloutTiming(text: string | undefined): Partial<RolloutTiming> {
  if (text === undefined || text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const bad = () =>
    inputError(
      "INVALID_TIMING",
      `SEMFLY_ROLLOUT_TIMING is not a JSON object of ${Object.keys(DEFAULT_TIMING).join(", ")} (numbers).`,
      'Unset it, or set e.g. {"waitSliceSeconds":1,"crashWatchMs":100}.',
    );
  if (!value || typeof value !== "object" || Array.isArray(value)) throw bad();
  const out: Record<string, number> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!(key in DEFAULT_TIMING) || typeof item !== "number" || !(item >= 0)) throw bad();
    out[key] = item;
  }
  return out as Partial<RolloutTiming>;
}
