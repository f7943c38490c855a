import type {
  GateSet,
  InstantResult,
  RolloutEvent,
  RolloutPlan,
  RolloutPreflight,
  RolloutResult,
} from "@semfly/core";
import * as vscode from "vscode";
import { readFreezeAfterRollback } from "../config/settings.js";
import type { Log } from "../platform/log.js";
import { type InstantChoice, instantConfirmation, instantResultMessage } from "./instantText.js";
import {
  describeRolloutEvent,
  type NamedMachine,
  rollbackConfirmation,
  rolloutResultMessage,
  versionName,
} from "./rolloutText.js";

/**
 * A rollout's three moments in the editor (confirm, progress, result): a rollback's and a promote's. An
 * interface so that the integration tests, which cannot click a modal, can answer for the user (see
 * extension.ts, test mode).
 */
export interface RolloutUi {
  /** Asks before anything changes; the preflight says what the rollout will not give back. */
  confirm(plan: RolloutPlan, preflight?: RolloutPreflight, gates?: GateSet): Promise<boolean>;
  /** Runs the rollout under a cancellable progress; cancelling aborts `signal`. */
  withProgress<T>(
    plan: RolloutPlan,
    work: (signal: AbortSignal, onEvent: (event: RolloutEvent) => void) => Promise<T>,
    look?: ProgressLook,
  ): Promise<T>;
  /** Shows the outcome; resolves "undo" when the user asks to undo it. */
  showResult(result: RolloutResult): Promise<"undo" | undefined>;
}

/** A rollback's, with the instant rollback's own modal and result. */
export interface RollbackUi extends RolloutUi {
  /** Asks before an instant rollback, saying what it parks in exchange and until when. */
  confirmInstant(choice: InstantChoice): Promise<boolean>;
  /** Shows an instant rollback's outcome; "undo" is an instant rollback back to what served before. */
  showInstantResult(result: InstantResult, keptUntil: string | null): Promise<"undo" | undefined>;
}

/** How a progress differs from a rollback's: its title, how many checks-passing make 100%, more names. */
export interface ProgressLook {
  title: string;
  steps: number;
  /** Machines outside the plan that events name (an instant rollback's parked ones). */
  machines?: readonly NamedMachine[];
}

const ROLL_BACK = "Roll Back";
const ROLL_BACK_INSTANTLY = "Roll Back Instantly";
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
    const { message, detail } = rollbackConfirmation(
      plan,
      preflight,
      gates,
      readFreezeAfterRollback(),
    );
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

  /** As for a rollback, the default (first) button only shows the plan. */
  async confirmInstant(choice: InstantChoice): Promise<boolean> {
    const { message, detail } = instantConfirmation(choice, readFreezeAfterRollback());
    const answer = await vscode.window.showWarningMessage(
      message,
      { modal: true, detail },
      SHOW_PLAN,
      ROLL_BACK_INSTANTLY,
    );
    if (answer === SHOW_PLAN) {
      this.log.info(`Instant rollback not started. The plan was:\n${message}\n${detail}`);
      this.log.show();
    }
    return answer === ROLL_BACK_INSTANTLY;
  }

  async withProgress<T>(
    plan: RolloutPlan,
    work: (signal: AbortSignal, onEvent: (event: RolloutEvent) => void) => Promise<T>,
    look?: ProgressLook,
  ): Promise<T> {
    const steps = look?.steps ?? plan.machines.length;
    const step = steps > 0 ? 100 / steps : 100;
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: look?.title ?? `Rolling back ${plan.app} to ${versionName(plan.to)}`,
        cancellable: true,
      },
      (progress, token) => {
        const controller = new AbortController();
        const cancelled = token.onCancellationRequested(() => {
          this.log.warn(`Cancel requested: interrupting the rollout of ${plan.app} safely`);
          progress.report({
            message: "Cancelling: finishing the machines in flight, releasing leases…",
          });
          controller.abort();
        });
        const onEvent = (event: RolloutEvent) => {
          const text = describeRolloutEvent(event, plan, look?.machines);
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
    return this.notify(rolloutResultMessage(result));
  }

  async showInstantResult(
    result: InstantResult,
    keptUntil: string | null,
  ): Promise<"undo" | undefined> {
    return this.notify(instantResultMessage(result, keptUntil));
  }

  private async notify({
    severity,
    message,
    canUndo,
  }: ReturnType<typeof rolloutResultMessage>): Promise<"undo" | undefined> {
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
