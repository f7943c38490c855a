import { createInterface } from "node:readline/promises";
import { Flags } from "@oclif/core";
import type {
  FlyClient,
  PreparedRollout,
  RolloutEvent,
  RolloutResult,
  RolloutStrategy,
  RolloutTiming,
} from "@semfly/core";
import type { CoreModule } from "./base-command.js";
import { parseDuration, parseMaxUnavailable } from "./parse.js";
import { toJson } from "./render/format.js";
import {
  LiveProgress,
  plainProgress,
  planText,
  resultText,
  rolloutJson,
} from "./render/rollout.js";
import { type Terminal, terminalOf } from "./render/terminal.js";

const STRATEGIES = ["rolling", "canary", "immediate"] as const satisfies readonly RolloutStrategy[];

/** The flags `rollback` and `deploy` share: the same engine, the same knobs. */
export const rolloutFlags = {
  "dry-run": Flags.boolean({
    summary: "Show the plan and check the target image; change nothing.",
  }),
  yes: Flags.boolean({
    char: "y",
    summary: "Do not ask for confirmation (required when stdin is not a terminal).",
  }),
  strategy: Flags.string({
    summary: "How machines are replaced, as flyctl names it.",
    options: [...STRATEGIES],
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
  /** From SEMFLY_ROLLOUT_TIMING (tests and benchmarks against the emulator); empty otherwise. */
  timing: Partial<RolloutTiming>;
}

/** Check the flag values before anything is fetched: a bad value is bad input (exit 2), whatever the app. */
export function rolloutChoices(core: CoreModule, flags: RolloutFlagValues): RolloutChoices {
  const strategy = STRATEGIES.find((s) => s === flags.strategy);
  if (!strategy) {
    throw core.inputError(
      "INVALID_STRATEGY",
      `--strategy ${flags.strategy} is not one of ${STRATEGIES.join(", ")}.`,
      "Pass --strategy rolling, canary or immediate.",
    );
  }
  let maxUnavailable: number | undefined;
  if (flags["max-unavailable"] !== undefined) {
    const parsed = parseMaxUnavailable(flags["max-unavailable"]);
    if (parsed === null) {
      throw core.inputError(
        "INVALID_MAX_UNAVAILABLE",
        `--max-unavailable "${flags["max-unavailable"]}" is neither a fraction between 0 and 1 nor a whole count.`,
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
      `--wait-timeout "${flags["wait-timeout"]}" is not a duration of at least one second.`,
      "Write it as flyctl does: 90s, 5m or 1m30s.",
    );
  }
  const leaseMs = parseDuration(flags["lease-timeout"]);
  if (leaseMs === null) {
    throw core.inputError(
      "INVALID_DURATION",
      `--lease-timeout "${flags["lease-timeout"]}" is not a duration.`,
      "Write it as flyctl does: 13s, 30s or 1m.",
    );
  }
  const leaseTtlSeconds = leaseMs / 1000;
  core.validateLeaseTtl(leaseTtlSeconds);
  return {
    strategy,
    maxUnavailable,
    waitTimeoutMs,
    leaseTtlSeconds: Math.ceil(leaseTtlSeconds),
    revert: flags.revert,
    reason: flags.reason?.trim() ? flags.reason.trim() : null,
    skipUnreachable: flags["skip-unreachable"],
    verifyCold: flags["verify-cold"],
    timing: core.parseRolloutTiming(process.env.SEMFLY_ROLLOUT_TIMING),
  };
}

export interface RolloutSession {
  core: CoreModule;
  client: FlyClient;
  bin: string;
  flags: RolloutFlagValues;
  choices: RolloutChoices;
  prepared: PreparedRollout;
  out(text: string): void;
  err(text: string): void;
  /** Ends the command with this code after output (oclif's exit). */
  exit(code: number): never;
}

/**
 * Everything after planning: dry run, confirmation, execution with progress and Ctrl-C, the result.
 * Shared by `rollback` and `deploy` so they cannot drift apart.
 */
export async function runRollout(session: RolloutSession): Promise<void> {
  const { core, client, flags, prepared, bin } = session;
  const plan = prepared.plan;
  const json = flags.json;
  const stdout = terminalOf(process.stdout);
  const notRestored = plan.kind === "rollback" ? core.NOT_RESTORED_NOTE : null;

  if (flags["dry-run"]) {
    await core.verifyTargetImage(client, plan);
    if (json) {
      session.out(toJson(rolloutJson({ plan, bin, notRestored })));
      return;
    }
    session.out(planText(plan, stdout, notRestored));
    session.out(
      `\nDry run: nothing was changed. Run again without --dry-run to ${plan.kind === "rollback" ? "roll back" : "deploy"}.`,
    );
    return;
  }

  if (!json) session.out(planText(plan, stdout, notRestored));
  if (!flags.yes && plan.machines.length > 0) {
    const verb = plan.kind === "rollback" ? "roll back" : "deploy to";
    if (!process.stdin.isTTY) {
      throw core.inputError(
        "CONFIRMATION_REQUIRED",
        `Refusing to ${verb} ${plan.app} without confirmation: stdin is not a terminal.`,
        "Pass --yes to go ahead, or --dry-run to see the plan only.",
      );
    }
    const question = `\n${plan.kind === "rollback" ? "Roll back" : "Deploy to"} ${plan.machines.length} machine${plan.machines.length === 1 ? "" : "s"} of ${plan.app}${skipsText(plan)}? [y/N] `;
    if (!(await confirm(question, json ? process.stderr : process.stdout))) {
      session.err("Cancelled: nothing was changed.");
      return;
    }
  }

  if (!json) session.out("");
  const progressTerm = terminalOf(json ? process.stderr : process.stdout);
  const write = json ? session.err : session.out;
  const onEvent = progressListener(
    plan,
    progressTerm,
    json,
    (text) => (json ? process.stderr : process.stdout).write(text),
    write,
  );
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      controller.abort();
      session.err(
        "\nInterrupting: no new machine starts; machines in flight finish and leases are released. Press Ctrl-C again to exit now.",
      );
      return;
    }
    session.err(
      `Exiting now; leases expire by themselves within ${session.choices.leaseTtlSeconds}s.`,
    );
    process.exit(130);
  };
  process.on("SIGINT", onSigint);
  let result: RolloutResult;
  try {
    result = await core.executeRollout(client, plan, {
      signal: controller.signal,
      onEvent,
      waitTimeoutMs: session.choices.waitTimeoutMs,
      leaseTtlSeconds: session.choices.leaseTtlSeconds,
      revert: session.choices.revert,
      timing: session.choices.timing,
    });
  } finally {
    process.off("SIGINT", onSigint);
  }

  if (json) session.out(toJson(rolloutJson({ plan, result, bin, notRestored })));
  else session.out(`\n${resultText(result, stdout, bin, notRestored)}`);
  if (result.status !== "complete") {
    if (json) session.err(`Error: ${result.reason ?? `the ${plan.kind} ${result.status}`}`);
    session.exit(1);
  }
}

/** Live per-machine lines on a terminal; plain lines in logs, pipes and with --json (on stderr). */
function progressListener(
  plan: PreparedRollout["plan"],
  term: Terminal,
  json: boolean,
  writeRaw: (text: string) => void,
  writeLine: (text: string) => void,
): (event: RolloutEvent) => void {
  if (term.isTTY && !json) {
    const live = new LiveProgress(plan, term, writeRaw);
    return (event) => live.onEvent(event);
  }
  const lineOf = plainProgress(plan);
  return (event) => {
    const line = lineOf(event);
    if (line) writeLine(line);
  };
}

async function confirm(question: string, output: NodeJS.WriteStream): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output });
  // Ctrl-C at the prompt is a "no" (readline would otherwise only pause the input and wait).
  const cancel = new AbortController();
  rl.on("SIGINT", () => cancel.abort());
  try {
    const answer = await rl.question(question, { signal: cancel.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    output.write("\n");
    return false;
  } finally {
    rl.close();
  }
}

/** What the confirmation names besides the machines that change: cold, skipped and unmanaged ones. */
function skipsText(plan: PreparedRollout["plan"]): string {
  const cold = plan.machines.filter((m) => m.cold).length;
  const skippedUnreachable = plan.skipped.filter((s) =>
    plan.unreachable.some((u) => u.id === s.id),
  ).length;
  const parts = [
    ...(cold > 0 ? [`${cold} cold, updated without starting`] : []),
    ...(skippedUnreachable > 0 ? [`${skippedUnreachable} unreachable, skipped`] : []),
    ...(plan.unmanaged.length > 0 ? [`${plan.unmanaged.length} not managed, left alone`] : []),
  ];
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}
