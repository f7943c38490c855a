import type { PreparedRollout } from "@semfly/core";
import type { Connection } from "../base-command.js";
import { rolloutJson } from "../render/rollout.js";
import type { McpContext, Replan } from "./context.js";
import { loadHistory } from "./context.js";

export interface RollbackRequest {
  target?: string | undefined;
  release?: number | undefined;
  with_config?: boolean | undefined;
  strategy?: "rolling" | "canary" | "immediate" | undefined;
  max_unavailable?: number | undefined;
  reason?: string | undefined;
}

export interface DeployRequest {
  version: string;
  image: string;
  allow_downgrade?: boolean | undefined;
  force_version?: boolean | undefined;
  strategy?: "rolling" | "canary" | "immediate" | undefined;
  max_unavailable?: number | undefined;
  reason?: string | undefined;
}

/** `semfly rollback`'s planning, from a fresh history each time it is called. */
export function rollbackPlanner(
  context: McpContext,
  connection: Connection,
  request: RollbackRequest,
): Replan {
  const { core } = context;
  if (request.release !== undefined && request.target !== undefined) {
    throw core.inputError(
      "TARGET_AND_RELEASE",
      `Both target (${request.target}) and release ${request.release} were given.`,
      "Pass either a version or a release number, not both.",
    );
  }
  return async (signal) =>
    core.prepareRollback(connection.client, connection.app, {
      history: await loadHistory(connection, signal),
      target:
        request.release === undefined
          ? { spec: request.target ?? "previous" }
          : { release: request.release },
      strategy: request.strategy ?? "rolling",
      ...(request.max_unavailable === undefined ? {} : { maxUnavailable: request.max_unavailable }),
      withConfig: request.with_config ?? false,
      reason: request.reason?.trim() ? request.reason.trim() : null,
      signal,
    });
}

export interface PromoteRequest {
  from: string;
  version: string;
  force?: boolean | undefined;
  allow_downgrade?: boolean | undefined;
  strategy?: "rolling" | "canary" | "immediate" | undefined;
  max_unavailable?: number | undefined;
  reason?: string | undefined;
}

/**
 * `semfly promote`'s planning, from fresh histories of both apps each time: the staging version must still
 * be promotable (same organisation, live and healthy there unless forced), the target must not be frozen.
 */
export function promotePlanner(
  context: McpContext,
  connection: Connection,
  request: PromoteRequest,
): Replan {
  const { core } = context;
  if (request.from === connection.app) {
    throw core.inputError(
      "PROMOTE_SAME_APP",
      `from ${request.from} is the app to promote into.`,
      "Name the staging app with from and the target with app.",
    );
  }
  return async (signal) => {
    const source = await core.resolvePromoteSource(connection.client, {
      from: request.from,
      to: connection.app,
      version: request.version,
      force: request.force ?? false,
      signal,
    });
    const history = await loadHistory(connection, signal);
    // As for plan_deploy: a frozen target stops the promote at planning and again at execution.
    core.checkDeployAllowed(connection.app, core.historyFreeze(history, Date.now()), {
      unfreeze: false,
    });
    return core.preparePromote(connection.client, source, {
      to: connection.app,
      history,
      allowDowngrade: request.allow_downgrade ?? false,
      registry: connection.registry,
      strategy: request.strategy ?? "rolling",
      ...(request.max_unavailable === undefined ? {} : { maxUnavailable: request.max_unavailable }),
      ...(request.reason?.trim() ? { reason: request.reason.trim() } : {}),
      signal,
    });
  };
}

/** `semfly deploy`'s planning, from a fresh history (and image lookup) each time it is called. */
export function deployPlanner(
  context: McpContext,
  connection: Connection,
  request: DeployRequest,
): Replan {
  return async (signal) => {
    const history = await loadHistory(connection, signal);
    // A freeze stops an agent's deploy as it stops `semfly deploy`: at planning, and again at execution
    // (execute_plan plans afresh). Lifting it is a person's call (`semfly unfreeze`).
    context.core.checkDeployAllowed(
      connection.app,
      context.core.historyFreeze(history, Date.now()),
      { unfreeze: false },
    );
    return context.core.prepareDeploy(connection.client, connection.app, {
      history,
      version: request.version,
      imageRef: request.image,
      allowDowngrade: request.allow_downgrade ?? false,
      forceVersion: request.force_version ?? false,
      strategy: request.strategy ?? "rolling",
      ...(request.max_unavailable === undefined ? {} : { maxUnavailable: request.max_unavailable }),
      reason: request.reason?.trim() ? request.reason.trim() : null,
      signal,
    });
  };
}

/** What a rollback leaves as it was; null for a deploy (as the CLI says it). */
export function notRestoredOf(context: McpContext, plan: PreparedRollout["plan"]): string | null {
  return plan.kind === "rollback" ? context.core.NOT_RESTORED_NOTE : null;
}

/** The CLI's `--dry-run --json` shape of a plan. */
export function planJson(context: McpContext, plan: PreparedRollout["plan"]) {
  return rolloutJson({ plan, bin: context.bin, notRestored: notRestoredOf(context, plan) });
}
