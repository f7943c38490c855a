import type { FlyClient, PreparedRollout, RolloutEvent, RolloutResult } from "@semfly/core";
import type { CoreModule } from "./base-command.js";
import { confirm, skipsText } from "./prompt.js";
import { toJson } from "./render/format.js";
import {
  LiveProgress,
  plainProgress,
  planText,
  resultText,
  rolloutJson,
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
