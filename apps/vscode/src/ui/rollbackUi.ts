import type {
  GateSet,
  RolloutEvent,
  RolloutPlan,
  RolloutPreflight,
  RolloutResult,
} from "@semfly/core";
import * as vscode from "vscode";
import type { Log } from "../platform/log.js";
import {
  describeRolloutEvent,
  rollbackConfirmation,
  rolloutResultMessage,
  versionName,
} from "./rolloutText.js";

/**
 * The three moments a rollback talks to the user: confirm, progress, result. An interface so that the
 * integration tests, which cannot click a modal, can answer for the user (see extension.ts, test mode).
 */
export interface RollbackUi {
  /** Asks before anything changes; the preflight says what the rollback will not give back. */
  confirm(plan: RolloutPlan, preflight?: RolloutPreflight, gates?: GateSet): Promise<boolean>;
  /** Runs the rollout under a cancellable progress; cancelling aborts `signal`. */
  withProgress<T>(
    plan: RolloutPlan,
    work: (signal: AbortSignal, onEvent: (event: RolloutEvent) => void) => Promise<T>,
  ): Promise<T>;
  /** Shows the outcome; resolves "undo" when the user asks to undo it. */
  showResult(result: RolloutResult): Promise<"undo" | undefined>;
}

const ROLL_BACK = "Roll Back";
const SHOW_PLAN = "Show Plan";
const UNDO = "Undo";
const SHOW_LOG = "Show Log";

export class VscodeRollbackUi implements RollbackUi {
  constructor(private readonly log: Log) {}

  /**
   * A modal's first button is its default: Enter, or a keystroke queued by a task, presses it. So the first
   * button only shows the plan, and rolling production back takes a deliberate choice of the second.
   */
  async confirm(
    plan: RolloutPlan,
    preflight?: RolloutPreflight,
    gates?: GateSet,
  ): Promise<boolean> {
    const { message, detail } = rollbackConfirmation(plan, preflight, gates);
    const answer = await vscode.window.showWarningMessage(
      message,
      { modal: true, detail },
      SHOW_PLAN,
      ROLL_BACK,
    );
    if (answer === SHOW_PLAN) {
      this.log.info(`Rollback not started. The plan was:\n${message}\n${detail}`);
      this.log.show();
    }
    return answer === ROLL_BACK;
  }

  async withProgress<T>(
    plan: RolloutPlan,
    work: (signal: AbortSignal, onEvent: (event: RolloutEvent) => void) => Promise<T>,
  ): Promise<T> {
    const step = plan.machines.length > 0 ? 100 / plan.machines.length : 100;
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Rolling back ${plan.app} to ${versionName(plan.to)}`,
        cancellable: true,
      },
      (progress, token) => {
        const controller = new AbortController();
        const cancelled = token.onCancellationRequested(() => {
          this.log.warn(`Cancel requested: interrupting the rollback of ${plan.app} safely`);
          progress.report({
            message: "Cancelling: finishing the machines in flight, releasing leases…",
          });
          controller.abort();
        });
        const onEvent = (event: RolloutEvent) => {
          const text = describeRolloutEvent(event, plan);
          if (!text) return;
          progress.report({
            message: text,
            ...(event.type === "checks-passing" ? { increment: step } : {}),
          });
        };
        return work(controller.signal, onEvent).finally(() => cancelled.dispose());
      },
    );
  }

  async showResult(result: RolloutResult): Promise<"undo" | undefined> {
    const { severity, message, canUndo } = rolloutResultMessage(result);
    const buttons = canUndo ? [UNDO, SHOW_LOG] : [SHOW_LOG];
    const show =
      severity === "info"
        ? vscode.window.showInformationMessage
        : severity === "warning"
          ? vscode.window.showWarningMessage
          : vscode.window.showErrorMessage;
    const answer = await show(message, ...buttons);
    if (answer === SHOW_LOG) this.log.show();
    return answer === UNDO ? "undo" : undefined;
  }
}
