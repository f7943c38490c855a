import { Flags } from "@oclif/core";
import type { RolloutStrategy, RolloutTiming } from "@semfly/core";
import type { CoreModule } from "./base-command.js";
import { parseDuration, parseMaxUnavailable } from "./parse.js";

const STRATEGIES = [
  "rolling",
  "canary",
  "immediate",
  "bluegreen",
] as const satisfies readonly RolloutStrategy[];

/** The flags `rollback` and `deploy` share: the same engine, the same knobs. */
export const rolloutFlags = {
  "dry-run": Flags.boolean({
    summary: "Show the plan and check the target image; change nothing.",
  }),
  yes: Flags.boolean({
    char: "y",
    summary: "Do not ask for confirmation (required when stdin is not a terminal).",
  }),
  // Not oclif's `options`: those match case-sensitively, and flyctl takes ROLLING as well as rolling.
  strategy: Flags.string({
    summary: `How machines are replaced, as flyctl names it: ${STRATEGIES.join(", ")}.`,
    helpValue: STRATEGIES.join("|"),
    default: "rolling",
  }),
  "max-unavailable": Flags.string({
    summary: "Machines changed at once: a fraction (0.33, the default) or a count (2).",
    helpValue: "<fraction|count>",
  }),
  "wait-timeout": Flags.string({
    summary: "How long each machine may take to start and pass its checks, e.g. 90s, 5m, 1m30s.",
    helpValue: "<duration>",
    default: "5m",
  }),
  "lease-timeout": Flags.string({
    summary:
      "How long each machine lease lasts (5s to 10m, refreshed while working), as flyctl's flag: a killed run frees the app after it.",
    helpValue: "<duration>",
    default: "30s",
  }),
  "skip-unreachable": Flags.boolean({
    summary:
      "Go on without machines on an unreachable host (they keep their version; the run is reported partial).",
  }),
  "verify-cold": Flags.boolean({
    summary:
      "When every machine of a group with checks is stopped, start one to check the target, then stop it again (--no-verify-cold skips that).",
    allowNo: true,
    default: true,
  }),
  revert: Flags.boolean({
    summary: "Put every changed machine back if one fails (--no-revert leaves them as they are).",
    allowNo: true,
    default: true,
  }),
  reason: Flags.string({ summary: "Why: recorded on the Fly release.", helpValue: "<text>" }),
  probe: Flags.string({
    summary:
      "Also judge the rollout by this HTTP probe, after each batch and through the bake window: URL [status=2xx] [body=TEXT] [timeout=5s] [per-machine].",
    multiple: true,
    helpValue: "<url>",
  }),
  gate: Flags.string({
    summary:
      "Also judge it by this PromQL gate, 'QUERY <op> NUMBER' ($APP, $MACHINES: the changed machines, $BASELINE: the rest).",
    multiple: true,
    helpValue: "<expr>",
  }),
  bake: Flags.string({
    summary:
      "After the last batch, keep judging every gate this long (e.g. 10m) before the rollout is complete; a failure reverts.",
    helpValue: "<duration>",
  }),
  "snapshot-volumes": Flags.boolean({
    summary:
      "Snapshot every volume attached to a machine that changes, and wait for the snapshots, before changing anything.",
  }),
  "keep-previous": Flags.string({
    summary:
      "Bluegreen: keep the previous machines parked (cordoned, suspended or stopped, rootfs cost only) this long for `rollback --instant`; 0 destroys them.",
    helpValue: "<duration>",
    default: "24h",
  }),
  keep: Flags.string({
    summary:
      "Bluegreen: the most parked sets the app keeps after the cut-over, the one just parked included; older ones are destroyed once the new version serves.",
    helpValue: "<count>",
    default: "1",
  }),
  "skip-image-check": Flags.boolean({
    summary:
      "Go ahead when nobody can say whether the target image still exists (recorded on the release); a registry 404 still refuses.",
  }),
};

export interface RolloutFlagValues {
  "dry-run": boolean;
  yes: boolean;
  strategy: string;
  "max-unavailable"?: string | undefined;
  "wait-timeout": string;
  "lease-timeout": string;
  revert: boolean;
  reason?: string | undefined;
  "skip-unreachable": boolean;
  "verify-cold": boolean;
  "skip-image-check": boolean;
  "snapshot-volumes": boolean;
  probe?: string[] | undefined;
  gate?: string[] | undefined;
  bake?: string | undefined;
  "keep-previous": string;
  keep: string;
  json: boolean;
}

export interface RolloutChoices {
  strategy: RolloutStrategy;
  maxUnavailable: number | undefined;
  waitTimeoutMs: number;
  leaseTtlSeconds: number;
  revert: boolean;
  reason: string | null;
  skipUnreachable: boolean;
  verifyCold: boolean;
  /** `--probe`, `--gate`, `--bake`, checked; semfly.toml's are merged under them when the rollout runs. */
  gateFlags: {
    probe?: string[] | undefined;
    gate?: string[] | undefined;
    bake?: string | undefined;
  };
  /** Bluegreen: how long the previous machines stay parked; 0 destroys them. */
  keepPreviousMs: number;
  /** Bluegreen `--keep`: the most parked sets left after the cut-over. */
  keepParkedSets: number;
  /** From SEMFLY_ROLLOUT_TIMING (tests and benchmarks against the emulator); empty otherwise. */
  timing: Partial<RolloutTiming>;
}

/** Check the flag values before anything is fetched: a bad value is bad input (exit 2), whatever the app. */
export function rolloutChoices(core: CoreModule, flags: RolloutFlagValues): RolloutChoices {
  const strategy = STRATEGIES.find((s) => s === flags.strategy.trim().toLowerCase());
  if (!strategy) {
    throw core.inputError(
      "INVALID_STRATEGY",
      `--strategy ${core.quote(flags.strategy)} is not one of ${STRATEGIES.join(", ")}.`,
      "Pass --strategy rolling, canary, immediate or bluegreen.",
    );
  }
  let maxUnavailable: number | undefined;
  if (flags["max-unavailable"] !== undefined) {
    const parsed = parseMaxUnavailable(flags["max-unavailable"]);
    if (parsed === null) {
      throw core.inputError(
        "INVALID_MAX_UNAVAILABLE",
        `--max-unavailable ${core.quote(flags["max-unavailable"])} is neither a fraction between 0 and 1 nor a whole count.`,
        "Pass a fraction such as 0.33 or a count such as 2, as flyctl takes it.",
      );
    }
    core.validateMaxUnavailable(parsed);
    maxUnavailable = parsed;
  }
  const waitTimeoutMs = parseDuration(flags["wait-timeout"]);
  if (waitTimeoutMs === null || waitTimeoutMs < 1000) {
    throw core.inputError(
      "INVALID_DURATION",
      `--wait-timeout ${core.quote(flags["wait-timeout"])} is not a duration of at least one second.`,
      "Write it as flyctl does: 90s, 5m or 1m30s.",
    );
  }
  const leaseMs = parseDuration(flags["lease-timeout"]);
  if (leaseMs === null) {
    throw core.inputError(
      "INVALID_DURATION",
      `--lease-timeout ${core.quote(flags["lease-timeout"])} is not a duration.`,
      "Write it as flyctl does: 13s, 30s or 1m.",
    );
  }
  const keepPreviousMs =
    flags["keep-previous"].trim() === "0" ? 0 : parseDuration(flags["keep-previous"]);
  if (keepPreviousMs === null) {
    throw core.inputError(
      "INVALID_DURATION",
      `--keep-previous ${core.quote(flags["keep-previous"])} is not a duration.`,
      "Write it as 24h, 90m, or 0 to destroy the previous machines.",
    );
  }
  const keepText = flags.keep.trim();
  const keepParkedSets = /^\d+$/.test(keepText) ? Number(keepText) : Number.NaN;
  if (!(keepParkedSets >= 1)) {
    throw core.inputError(
      "INVALID_KEEP",
      `--keep ${core.quote(flags.keep)} is not a whole number of parked sets of at least 1.`,
      "Pass --keep 1 (the default) or more; --keep-previous 0 parks nothing.",
    );
  }
  const leaseTtlSeconds = leaseMs / 1000;
  core.validateLeaseTtl(leaseTtlSeconds);
  const gateFlags = { probe: flags.probe, gate: flags.gate, bake: flags.bake };
  // Parsed here only to refuse a bad one before anything is fetched.
  core.mergeGateFlags(core.EMPTY_GATES, gateFlags);
  return {
    strategy,
    maxUnavailable,
    waitTimeoutMs,
    leaseTtlSeconds: Math.ceil(leaseTtlSeconds),
    revert: flags.revert,
    reason: flags.reason?.trim() ? flags.reason.trim() : null,
    skipUnreachable: flags["skip-unreachable"],
    verifyCold: flags["verify-cold"],
    gateFlags,
    keepPreviousMs,
    keepParkedSets,
    timing: core.parseRolloutTiming(process.env.SEMFLY_ROLLOUT_TIMING),
  };
}
