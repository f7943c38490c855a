import type {
  GateSet,
  PromoteSource,
  RolloutEvent,
  RolloutPlan,
  RolloutPreflight,
  RolloutResult,
} from "@semfly/core";
import * as vscode from "vscode";
import type { Log } from "../platform/log.js";
import { promoteConfirmation } from "./promoteText.js";
import { type RolloutUi, VscodeRollbackUi } from "./rollbackUi.js";
import { rolloutResultMessage, versionName } from "./rolloutText.js";

const PROMOTE = "Promote";
const SHOW_PLAN = "Show Plan";

/**
 * The promote's three moments (confirm, progress, result), in the rollout interface so that the
 * integration tests can answer its modal the same way. Made per promote: the modal names the source.
 */
export class VscodePromoteUi implements RolloutUi {
  constructor(
    private readonly log: Log,
    private readonly source: Pick<PromoteSource, "promotedFrom" | "imageRef">,
  ) {}

  /** As for a rollback, the default (first) button only shows the plan. */
  async confirm(
    plan: RolloutPlan,
    preflight?: RolloutPreflight,
    gates?: GateSet,
  ): Promise<boolean> {
    const empty: RolloutPreflight = { migrations: [], secrets: null, volumes: [], unknown: [] };
    const { message, detail } = promoteConfirmation(plan, this.source, preflight ?? empty, gates);
    const answer = await vscode.window.showWarningMessage(
      message,
      { modal: true, detail },
      SHOW_PLAN,
      PROMOTE,
    );
    if (answer === SHOW_PLAN) {
      this.log.info(`Promotion not started. The plan was:\n${message}\n${detail}`);
      this.log.show();
    }
    return answer === PROMOTE;
  }

  /** The rollback's progress (cancellable, per-machine lines), titled for a promote. */
  withProgress<T>(
    plan: RolloutPlan,
    work: (signal: AbortSignal, onEvent: (event: RolloutEvent) => void) => Promise<T>,
  ): Promise<T> {
    return new VscodeRollbackUi(this.log).withProgress(plan, work, {
      title: `Promoting ${versionName(plan.to)} to ${plan.app}`,
      steps: plan.machines.length,
    });
  }

  async showResult(result: RolloutResult): Promise<"undo" | undefined> {
    const { severity, message } = rolloutResultMessage(result);
    const show =
      severity === "info"
        ? vscode.window.showInformationMessage
        : severity === "warning"
          ? vscode.window.showWarningMessage
          : vscode.window.showErrorMessage;
    void show(message);
    return undefined;
  }
}
