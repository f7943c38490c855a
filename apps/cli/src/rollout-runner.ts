import { createInterface } from "node:readline/promises";
import { Flags } from "@oclif/core";
import type {
  FlyClient,
  PreparedRollout,
  RegistryClient,
  RolloutEvent,
  RolloutResult,
  RolloutStrategy,
} from "@semfly/core";
import type { CoreModule } from "./base-command.js";
import { parseDuration, parseMaxUnavailable } from "./parse.js";
import { toJson } from "./render/format.js";
import { preflightJson, preflightText, snapshotLines } from "./render/preflight.js";
import {
  LiveProgress,
  plainProgress,
  planText,
  resultText,
  rolloutFailure,
  rolloutJson,
  withMachineDetails,
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
      "How long each machine lease lasts (refreshed while working), as flyctl's flag: a killed run frees the app after it.",
    helpValue: "<duration>",
    default: "30s",
  }),
  revert: Flags.boolean({
    summary: "Put every changed machine back if one fails (--no-revert leaves them as they are).",
    allowNo: true,
    default: true,
  }),
  reason: Flags.string({ summary: "Why: recorded on the Fly release.", helpValue: "<text>" }),
  "snapshot-volumes": Flags.boolean({
    summary:
      "Snapshot every volume attached to a machine that changes, and wait for the snapshots, before changing anything.",
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
  "skip-image-check": boolean;
  "snapshot-volumes": boolean;
  json: boolean;
}

export interface RolloutChoices {
  strategy: RolloutStrategy;
  maxUnavailable: number | undefined;
  waitTimeoutMs: number;
  leaseTtlSeconds: number;
  revert: boolean;
  reason: string | null;
}

/** Check the flag values before anything is fetched: a bad value is bad input (exit 2), whatever the app. */
export function rolloutChoices(core: CoreModule, flags: RolloutFlagValues): RolloutChoices {
  const strategy = STRATEGIES.find((s) => s === flags.strategy.trim().toLowerCase());
  if (!strategy) {
    throw core.inputError(
      "INVALID_STRATEGY",
      `--strategy ${core.quote(flags.strategy)} is not one of ${STRATEGIES.join(", ")}.`,
      "Pass --strategy rolling, canary or immediate.",
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
  // The lease is refreshed at half its life: under two seconds there is no room for a refresh.
  if (leaseMs === null || leaseMs < 2000) {
    throw core.inputError(
      "INVALID_DURATION",
      `--lease-timeout ${core.quote(flags["lease-timeout"])} is not a duration of at least two seconds.`,
      "Write it as flyctl does: 30s or 1m.",
    );
  }
  return {
    strategy,
    maxUnavailable,
    waitTimeoutMs,
    leaseTtlSeconds: Math.ceil(leaseMs / 1000),
    revert: flags.revert,
    reason: flags.reason?.trim() ? flags.reason.trim() : null,
  };
}

export interface RolloutSession {
  core: CoreModule;
  client: FlyClient;
  bin: string;
  flags: RolloutFlagValues;
  choices: RolloutChoices;
  prepared: PreparedRollout;
  /** Asked about the target image before anything changes. */
  registry: RegistryClient;
  out(text: string): void;
  err(text: string): void;
  /** Ends the command with this code after output (oclif's exit). */
  exit(code: number): never;
  /** Runs after a complete rollout, before the result is shown (rollback's freeze); shown with it. */
  afterComplete?: ((result: RolloutResult) => Promise<AfterComplete>) | undefined;
  /** Cancels the volume snapshots' waits when the command ends. */
  signal?: AbortSignal | undefined;
}

export interface AfterComplete {
  /** Lines printed after the result. */
  lines: string[];
  /** Keys added to the --json result. */
  json: Record<string, unknown>;
  /** The rollout worked but this step did not: the command exits 1. */
  failed: boolean;
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

  const { history, skippedVersions } = prepared;
  const imageCheck = { registry: session.registry, skipImageCheck: flags["skip-image-check"] };
  if (flags["dry-run"]) {
    const check = await core.verifyTargetImage(client, plan, undefined, imageCheck);
    if (check.skipped) session.err(`Warning: ${core.skippedImageCheckWarning(check)}`);
    if (json) {
      session.out(
        toJson({
          ...rolloutJson({ plan, bin, notRestored, history, skippedVersions }),
          preflight: preflightJson(prepared.preflight, check, null),
        }),
      );
      return;
    }
    session.out(planText(plan, stdout, notRestored, skippedVersions));
    session.out(`\n${preflightText(core, prepared.preflight, plan, stdout)}`);
    if (flags["snapshot-volumes"] && prepared.preflight.volumes.length > 0) {
      session.out(
        `  --snapshot-volumes would snapshot ${prepared.preflight.volumes.map((v) => v.volumeId).join(", ")} first.`,
      );
    }
    session.out(`\n${core.imageCheckLine(check)}`);
    session.out(
      `Dry run: nothing was changed. Run again without --dry-run to ${plan.kind === "rollback" ? "roll back" : "deploy"}.`,
    );
    return;
  }

  if (!json) {
    session.out(planText(plan, stdout, notRestored, skippedVersions));
    session.out(`\n${preflightText(core, prepared.preflight, plan, stdout)}`);
  }
  if (!flags.yes && plan.machines.length > 0) {
    const verb = plan.kind === "rollback" ? "roll back" : "deploy to";
    if (!process.stdin.isTTY) {
      throw core.inputError(
        "CONFIRMATION_REQUIRED",
        `Refusing to ${verb} ${plan.app} without confirmation: stdin is not a terminal.`,
        "Pass --yes to go ahead, or --dry-run to see the plan only.",
      );
    }
    const question = `\n${plan.kind === "rollback" ? "Roll back" : "Deploy to"} ${plan.machines.length} machine${plan.machines.length === 1 ? "" : "s"} of ${plan.app}? [y/N] `;
    if (!(await confirm(question, json ? process.stderr : process.stdout))) {
      session.err("Cancelled: nothing was changed.");
      return;
    }
  }

  if (!json) session.out("");
  // Before any lease or machine change: a snapshot that fails or never finishes leaves the app untouched.
  const snapshots =
    flags["snapshot-volumes"] && prepared.preflight.volumes.length > 0
      ? await core.snapshotVolumes(client, plan.app, prepared.preflight.volumes, {
          signal: session.signal,
        })
      : null;
  const runPlan = snapshots
    ? {
        ...plan,
        recordMetadata: {
          ...plan.recordMetadata,
          snapshots: snapshots.map((s) => ({
            volume: s.volumeId,
            machine: s.machineId,
            snapshot: s.snapshotId,
          })),
        },
      }
    : plan;
  if (snapshots)
    (json ? session.err : session.out)(
      `Snapshotted ${snapshots.map((s) => `${s.volumeId} → ${s.snapshotId}`).join(", ")}.`,
    );
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
    result = await core.executeRollout(client, runPlan, {
      signal: controller.signal,
      onEvent,
      waitTimeoutMs: session.choices.waitTimeoutMs,
      leaseTtlSeconds: session.choices.leaseTtlSeconds,
      revert: session.choices.revert,
      imageCheck,
    });
  } catch (error) {
    if (core.isSemflyError(error) && error.code === "INTERRUPTED") {
      result = interruptedBeforeStart(plan, error.message, notRestored ?? "");
    } else {
      throw error;
    }
  } finally {
    process.off("SIGINT", onSigint);
  }

  result = withMachineDetails(result, history);
  const after =
    result.status === "complete" && session.afterComplete
      ? await session.afterComplete(result)
      : null;
  if (json) {
    session.out(
      toJson({
        ...rolloutJson({ plan, result, bin, notRestored, history, skippedVersions }),
        preflight: preflightJson(prepared.preflight, null, snapshots),
        ...after?.json,
      }),
    );
  } else {
    session.out(`\n${resultText(result, stdout, bin, notRestored)}`);
    for (const line of snapshotLines(snapshots ?? [])) session.out(line);
    for (const line of after?.lines ?? []) session.out(line);
  }
  if (after?.failed) session.exit(1);
  if (result.status !== "complete") {
    const failure = rolloutFailure(result, bin);
    const c = terminalOf(process.stderr).colors;
    session.err(`${c.red(`Error: ${failure.message}`)}\n  ${failure.suggestion}`);
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

/** Ctrl-C before any machine changed: nothing to report per machine but that none started. */
function interruptedBeforeStart(
  plan: PreparedRollout["plan"],
  reason: string,
  notRestored: string,
): RolloutResult {
  const to = { key: plan.to.key, version: plan.to.version, digest: plan.to.digest };
  return {
    app: plan.app,
    kind: plan.kind,
    status: "interrupted",
    from: plan.from,
    to: plan.to,
    strategy: plan.strategy,
    release: null,
    machines: plan.machines.map((m) => ({
      id: m.id,
      name: m.name,
      region: m.region,
      processGroup: m.processGroup,
      from: m.from,
      to,
      result: "not-started",
    })),
    reason,
    reverted: false,
    liveNow: plan.from,
    undoTarget: null,
    warnings: [],
    notRestored,
  };
}
