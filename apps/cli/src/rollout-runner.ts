import type {
  FlyClient,
  PreparedRollout,
  RegistryClient,
  RolloutEvent,
  RolloutResult,
} from "@semfly/core";
import type { CoreModule } from "./base-command.js";
import { withInterrupts } from "./interrupts.js";
import { confirm, skipsText } from "./prompt.js";
import { toJson, versionLabel } from "./render/format.js";
import { gatesJson, gatesText } from "./render/gates.js";
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
import type { RolloutChoices, RolloutFlagValues } from "./rollout-flags.js";

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
  const gateSet = core.mergeGateFlags(
    await core.loadGateFile(process.cwd()),
    session.choices.gateFlags,
  );
  const gates = { gates: gateSet, sources: core.gateSources(client, plan.app) };
  const gateLine = core.hasGates(gates) ? gatesText(gateSet) : null;
  const dropLines = keepDropLines(session);
  if (flags["dry-run"]) {
    const check = await core.verifyTargetImage(client, plan, undefined, imageCheck);
    if (check.skipped) session.err(`Warning: ${core.skippedImageCheckWarning(check)}`);
    if (json) {
      session.out(
        toJson({
          ...rolloutJson({ plan, bin, notRestored, history, skippedVersions }),
          gates: gatesJson(gateSet),
          preflight: preflightJson(prepared.preflight, check, null),
        }),
      );
      return;
    }
    session.out(planText(plan, stdout, notRestored, skippedVersions));
    for (const line of dropLines) session.out(line);
    if (gateLine) session.out(gateLine);
    if (flags["snapshot-volumes"] && prepared.preflight.volumes.length > 0) {
      session.out(
        `  --snapshot-volumes would snapshot ${prepared.preflight.volumes.map((v) => v.volumeId).join(", ")} first.`,
      );
    }
    session.out(`\n${preflightText(core, prepared.preflight, plan, stdout)}`);
    session.out(`\n${core.imageCheckLine(check)}`);
    session.out(
      `Dry run: nothing was changed. Run again without --dry-run to ${plan.kind === "rollback" ? "roll back" : "deploy"}.`,
    );
    return;
  }

  if (!json) {
    session.out(planText(plan, stdout, notRestored, skippedVersions));
    for (const line of dropLines) session.out(line);
    session.out(`\n${preflightText(core, prepared.preflight, plan, stdout)}`);
    if (gateLine) session.out(gateLine);
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
    const question = `\n${plan.kind === "rollback" ? "Roll back" : "Deploy to"} ${plan.machines.length} machine${plan.machines.length === 1 ? "" : "s"} of ${plan.app}${skipsText(plan)}? [y/N] `;
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
  let result = await withInterrupts(
    { leaseTtlSeconds: session.choices.leaseTtlSeconds, err: session.err },
    (signal) =>
      core.executeRollout(client, runPlan, {
        signal,
        onEvent,
        waitTimeoutMs: session.choices.waitTimeoutMs,
        leaseTtlSeconds: session.choices.leaseTtlSeconds,
        revert: session.choices.revert,
        imageCheck,
        gates,
        timing: session.choices.timing,
        keepPreviousMs: session.choices.keepPreviousMs,
        keepParkedSets: session.choices.keepParkedSets,
      }),
  );

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

/** A bluegreen rollout's older parked sets that --keep destroys once green serves (core's rule). */
function keepDropLines(session: RolloutSession): string[] {
  const { core, prepared, choices } = session;
  if (prepared.plan.strategy !== "bluegreen") return [];
  const listing = [
    ...prepared.history.machines.map((m) => m.machine),
    ...prepared.history.unmanaged.map((u) => u.machine),
  ];
  const drops = core.setsDroppedByKeep(core.parkedSets(listing, Date.now()), null, choices);
  return drops.map(
    (old) =>
      `  Drop:      parked ${versionLabel({ version: old.version, key: old.digest ?? old.set })} (${old.machines.length} machine${old.machines.length === 1 ? "" : "s"}) after the cut-over (--keep ${choices.keepParkedSets})`,
  );
}
