/**
 * A freeze: "do not deploy to this app until …". Pure rules only: what a freeze records, how it is
 * written into and read back from Fly machine metadata, when it has expired, and the verdict for a deploy.
 * The I/O lives in operations/freeze.ts.
 */
import * as v from "valibot";
import { inputError } from "../errors.js";
import type { VersionHistory } from "./history.js";
import type { FlyMachine } from "./types.js";

/** The machine metadata key (Machines API `config.metadata`) that carries the freeze on every app machine. */
export const FREEZE_METADATA_KEY = "semfly_freeze";
/** The release metadata key of the freeze record (an audit trail, never read for the verdict). */
export const FREEZE_RELEASE_KEY = "semfly_freeze";

/** The longest reason kept: machine metadata values are small strings, and the reason is one line. */
export const MAX_FREEZE_REASON = 300;

export interface FrozenVersion {
  version: string | null;
  digest: string | null;
}

export interface Freeze {
  /** Who froze it: a person or a CI actor. */
  by: string;
  reason: string;
  /** When it was set (RFC 3339). */
  at: string;
  /** When it ends by itself (RFC 3339); null: until `semfly unfreeze`. */
  until: string | null;
  /** The version that was live, and that the freeze keeps live. */
  holds: FrozenVersion | null;
}

export interface FreezeState {
  freeze: Freeze;
  /** An expired freeze is shown (as expired) and ignored. */
  expired: boolean;
  /** The machines that carry it: fewer than all when a write did not reach every machine. */
  machineIds: string[];
  machineCount: number;
  /**
   * Whether the version it holds is still the live one (freezeHoldsLive); absent or null when unknown. A
   * rollback with `--no-freeze` moves the app from under a freeze, which then says what it was set on.
   */
  holdsLive?: boolean | null;
}

const FreezeWireSchema = v.object({
  v: v.literal(1),
  by: v.string(),
  reason: v.string(),
  at: v.string(),
  until: v.nullable(v.string()),
  holds: v.nullable(v.object({ version: v.nullable(v.string()), digest: v.nullable(v.string()) })),
});

/** The metadata value: one JSON string, so each machine's write is all or nothing. */
export function encodeFreeze(freeze: Freeze): string {
  return JSON.stringify({ v: 1, ...freeze });
}

/** Reads a metadata value back; anything that is not a freeze semfly wrote is null (never trusted). */
export function decodeFreeze(text: string | undefined): Freeze | null {
  if (!text) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const result = v.safeParse(FreezeWireSchema, parsed);
  if (!result.success) return null;
  const { v: _version, ...freeze } = result.output;
  return Number.isNaN(Date.parse(freeze.at)) ? null : freeze;
}

export function freezeExpired(freeze: Freeze, now: number): boolean {
  return freeze.until !== null && Date.parse(freeze.until) <= now;
}

/**
 * The app's freeze, from the metadata of its machines (read in the machines listing every history loads).
 * Any machine that carries one freezes the app: a write that reached only some machines still holds.
 * When machines disagree, the newest freeze wins.
 */
export function freezeOf(machines: readonly FlyMachine[], now: number): FreezeState | null {
  let newest: Freeze | null = null;
  const carriers: string[] = [];
  for (const machine of machines) {
    const freeze = decodeFreeze(machine.metadata[FREEZE_METADATA_KEY]);
    if (!freeze) continue;
    carriers.push(machine.id);
    if (!newest || Date.parse(freeze.at) > Date.parse(newest.at)) newest = freeze;
  }
  if (!newest) return null;
  return {
    freeze: newest,
    expired: freezeExpired(newest, now),
    machineIds: carriers,
    machineCount: machines.length,
  };
}

/** The freeze of the app a history describes (its app machines' metadata). */
export function historyFreeze(
  history: Pick<VersionHistory, "machines" | "live">,
  now: number,
): FreezeState | null {
  const state = freezeOf(
    history.machines.map((info) => info.machine),
    now,
  );
  return state && { ...state, holdsLive: freezeHoldsLive(state.freeze, history.live) };
}

/**
 * Whether the version a freeze was set to hold is still the live one: a rollback with `--no-freeze` (or a
 * change made with another tool) moves the app from under it, and the freeze then says what it was set on,
 * not what runs. Null when either is unknown (a mixed app has no live version).
 */
export function freezeHoldsLive(
  freeze: Freeze,
  live: { version: string | null; digest: string | null } | null,
): boolean | null {
  const held = freeze.holds;
  if (!held || !live) return null;
  if (held.digest && live.digest) return held.digest === live.digest;
  if (held.version && live.version) return held.version === live.version;
  return null;
}

/** True while a freeze stops deploys. */
export function isFrozen(state: FreezeState | null): state is FreezeState {
  return state !== null && !state.expired;
}

/** `by alice@acme.test until 2025-06-11T14:00:00Z: bad 3.2.0` — the one line every client shows. */
export function freezeLine(freeze: Freeze): string {
  const until = freeze.until ? `until ${freeze.until}` : "until unfrozen";
  return `by ${freeze.by} ${until}: ${freeze.reason}`;
}

/** The verdict for a deploy: refused (bad input, exit 2) while frozen, unless the caller lifts the freeze. */
export function checkDeployAllowed(
  app: string,
  state: FreezeState | null,
  options: { unfreeze: boolean },
): void {
  if (!isFrozen(state) || options.unfreeze) return;
  throw inputError(
    "FROZEN",
    `${app} is frozen ${freezeLine(state.freeze)}`,
    "Deploy anyway with --unfreeze, or lift it first with `semfly unfreeze`.",
  );
}

const DURATION_UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * `--until`: a duration from now (`90m`, `2h`, `1d12h`) or a time (RFC 3339, e.g. 2027-06-12T09:00:00Z);
 * the end as RFC 3339, or null when the text is neither or lies in the past.
 */
export function parseFreezeUntil(text: string, now: number): string | null {
  const input = text.trim();
  if (/^(\d+[smhd])+$/.test(input)) {
    let total = 0;
    for (const [, count, unit] of input.matchAll(/(\d+)([smhd])/g)) {
      total += Number(count) * DURATION_UNIT_MS[unit!]!;
    }
    return total > 0 ? new Date(now + total).toISOString() : null;
  }
  // A bare date would be read as UTC midnight by Date.parse: ask for a full time instead.
  if (!/^\d{4}-\d{2}-\d{2}T/.test(input)) return null;
  const at = Date.parse(input);
  return Number.isNaN(at) || at <= now ? null : new Date(at).toISOString();
}

/** Check and shape the inputs of a freeze; bad input is an input error (exit 2) before any request. */
export function newFreeze(input: {
  by: string;
  reason: string | null | undefined;
  until: string | null | undefined;
  holds: FrozenVersion | null;
  now: number;
}): Freeze {
  const reason = (input.reason ?? "").replace(/\s+/g, " ").trim() || "frozen";
  if (reason.length > MAX_FREEZE_REASON) {
    throw inputError(
      "INVALID_REASON",
      `The reason is ${reason.length} characters; a freeze keeps at most ${MAX_FREEZE_REASON}.`,
      "Shorten it to one line; link to the incident for the details.",
    );
  }
  let until: string | null = null;
  if (input.until !== undefined && input.until !== null) {
    until = parseFreezeUntil(input.until, input.now);
    if (!until) {
      throw inputError(
        "INVALID_UNTIL",
        `--until "${input.until}" is neither a duration (90m, 2h, 1d) nor a future time (2027-06-12T09:00:00Z).`,
        "Pass a duration from now or an RFC 3339 time.",
      );
    }
  }
  return {
    by: input.by,
    reason,
    at: new Date(input.now).toISOString(),
    until,
    holds: input.holds,
  };
}

/** Who is acting: SEMFLY_ACTOR, then the GitHub Actions actor, then the local user at this host. */
export function freezeActor(
  env: Record<string, string | undefined>,
  local: { user: string; host: string },
): string {
  if (env.SEMFLY_ACTOR?.trim()) return env.SEMFLY_ACTOR.trim();
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_ACTOR) {
    return `${env.GITHUB_ACTOR} (GitHub Actions)`;
  }
  return `${local.user}@${local.host}`;
}

/**
 * The freeze a complete rollback leaves: held on the version it went back to, so the next CI push cannot
 * silently redeploy what was just rolled back. The CLI and the extension both write this one.
 */
export function rollbackFreeze(
  rolled: {
    from: { key: string; version: string | null; digest: string | null } | null;
    to: { key: string; version: string | null; digest: string | null };
  },
  input: { by: string; reason: string | null; now: number },
): Freeze {
  const name = (ref: { key: string; version: string | null; digest: string | null }) =>
    ref.version ?? ref.digest ?? ref.key;
  const from = rolled.from ? name(rolled.from) : null;
  return newFreeze({
    by: input.by,
    reason: input.reason ?? `rolled back${from ? ` from ${from}` : ""} to ${name(rolled.to)}`,
    until: null,
    holds: { version: rolled.to.version, digest: rolled.to.digest },
    now: input.now,
  });
}
