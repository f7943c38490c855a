import type { InstantResult, RolloutEvent, RolloutPlan, RolloutResult } from "@semfly/core";
import {
  type InstantChoice,
  instantConfirmation,
  instantResultMessage,
} from "../../src/ui/instantText.js";
import type { ProgressLook, RollbackUi } from "../../src/ui/rollbackUi.js";
import { rolloutResultMessage } from "../../src/ui/rolloutText.js";

export interface Script {
  /** The modal's answer. */
  confirm?: boolean;
  /** Press Cancel on the progress notification when this event arrives. */
  cancelOn?: RolloutEvent["type"];
  /** Press Undo on the result notification (once). */
  undo?: boolean;
}

/** Answers the rollback's modal, progress and result as a user would, and records what it was shown. */
export class ScriptedRollbackUi implements RollbackUi {
  readonly plans: RolloutPlan[] = [];
  readonly events: RolloutEvent[] = [];
  readonly results: RolloutResult[] = [];
  /** The notification text the real UI shows for each result (the same function makes it). */
  readonly messages: string[] = [];
  /** What each instant rollback asked, and the modal's text for it (the same function makes it). */
  readonly instantChoices: (InstantChoice & { message: string; detail: string })[] = [];
  readonly instantResults: InstantResult[] = [];
  /** The progress titles shown. */
  readonly progressTitles: string[] = [];

  constructor(private readonly script: Script = {}) {}

  async confirm(plan: RolloutPlan): Promise<boolean> {
    this.plans.push(plan);
    return this.script.confirm ?? true;
  }

  async confirmInstant(choice: InstantChoice): Promise<boolean> {
    this.plans.push(choice.plan);
    this.instantChoices.push({ ...choice, ...instantConfirmation(choice) });
    return this.script.confirm ?? true;
  }

  async withProgress<T>(
    plan: RolloutPlan,
    work: (signal: AbortSignal, onEvent: (event: RolloutEvent) => void) => Promise<T>,
    look?: ProgressLook,
  ): Promise<T> {
    this.progressTitles.push(look?.title ?? `Rolling back ${plan.app}`);
    const controller = new AbortController();
    return work(controller.signal, (event) => {
      this.events.push(event);
      if (event.type === this.script.cancelOn) controller.abort();
    });
  }

  async showResult(result: RolloutResult): Promise<"undo" | undefined> {
    this.results.push(result);
    this.messages.push(rolloutResultMessage(result).message);
    if (this.script.undo && this.results.length === 1) return "undo";
    return undefined;
  }

  async showInstantResult(
    result: InstantResult,
    keptUntil: string | null,
  ): Promise<"undo" | undefined> {
    this.instantResults.push(result);
    this.messages.push(instantResultMessage(result, keptUntil).message);
    if (this.script.undo && this.instantResults.length === 1) return "undo";
    return undefined;
  }
}
