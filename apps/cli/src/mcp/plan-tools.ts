import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Preflight, PreparedRollout } from "@semfly/core";
import { planText } from "../render/rollout.js";
import type { McpContext } from "./context.js";
import {
  type ExecutionChoices,
  type ExecutionRequest,
  executionJson,
  executionLines,
  executionOf,
} from "./execution.js";
import type { PlanStore } from "./plan-store.js";
import {
  type DeployRequest,
  deployPlanner,
  notRestoredOf,
  type PromoteRequest,
  planJson,
  promotePlanner,
  type RollbackRequest,
  rollbackPlanner,
} from "./planning.js";
import { guarded, toolResult } from "./results.js";
import { planDeployInput, planPromoteInput, planRollbackInput, preflightInput } from "./schemas.js";
import { TOOL_TEXT } from "./text.js";

function warningsText(preflight: Preflight): string {
  return preflight.warnings.map((w) => `\nWarning: ${w}`).join("");
}

/** The preflight of a plan (a read tool: it plans, checks the image, and keeps nothing). */
export function registerPreflightTool(
  server: McpServer,
  context: McpContext,
  store: PlanStore,
): void {
  const { core } = context;
  server.registerTool(
    "preflight",
    {
      title: "Preflight of a plan",
      description:
        "What a plan will do before it runs: target image (checked in Fly's registry), machines to update, machines skipped, strategy and batches, warnings. With plan_id, also what changed since the plan was made. Without plan_id, the preflight of a rollback to target (default previous), planned and not kept. Changes nothing.",
      inputSchema: preflightInput,
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: true },
    },
    guarded(context, async (args, signal) => {
      if (args.plan_id === undefined) {
        const connection = await context.connect(args.app);
        const prepared = await rollbackPlanner(context, connection, args)(signal);
        await core.verifyTargetImage(connection.client, prepared.plan, signal);
        // The plan's summary, plus what it will not give back (migrations crossed, secrets changed, volumes).
        const preflight = {
          ...core.preflightOf(prepared.plan, prepared.history),
          ...prepared.preflight,
        };
        return toolResult(
          { planId: null, plan: planJson(context, prepared.plan), preflight },
          `${planText(prepared.plan, TOOL_TEXT, notRestoredOf(context, prepared.plan))}${warningsText(preflight)}\n\n${core.preflightLines(prepared.preflight, prepared.plan.to.version ?? prepared.plan.to.key).join("\n")}\n\nNothing was changed and no plan was kept.`,
        );
      }
      const stored = store.get(args.plan_id);
      if (!stored) throw unknownPlan(context, args.plan_id);
      const { bound } = stored;
      const expired = core.planExpired(bound, Date.now());
      let changes: string[];
      try {
        const fresh = await stored.replan(signal);
        changes = core.changesSince(bound.binding, core.bindingOf(fresh.plan, fresh.history));
      } catch (error) {
        if (!core.isSemflyError(error) || error.kind !== "input") throw error;
        changes = [`planning it again fails: ${error.message}`];
      }
      const preflight = core.preflightOf(bound.plan, stored.history);
      const state = expired
        ? "It expired: plan again."
        : changes.length > 0
          ? `It would be refused: ${changes.join("; ")}.`
          : `It still holds; it expires at ${new Date(bound.expiresAt).toISOString()}.`;
      return toolResult(
        {
          planId: bound.id,
          expiresAt: new Date(bound.expiresAt).toISOString(),
          expired,
          changesSince: changes,
          plan: planJson(context, bound.plan),
          preflight,
          execution: executionJson(bound.plan, stored.execution),
        },
        `${planText(bound.plan, TOOL_TEXT, notRestoredOf(context, bound.plan))}${warningsText(preflight)}\n\n${executionLines(bound.plan, stored.execution).join("\n")}\n\nPlan ${bound.id}: ${state}`,
      );
    }),
  );
}

export function unknownPlan(context: McpContext, id: string) {
  return context.core.inputError(
    "PLAN_UNKNOWN",
    `No plan ${id} in this session.`,
    "Plans live only in the server that made them, and run at most once: make one with plan_rollback, plan_deploy or plan_promote.",
  );
}

/** plan_rollback, plan_deploy and plan_promote: plan, check the image, keep the plan under a short-lived id. */
export function registerPlanTools(server: McpServer, context: McpContext, store: PlanStore): void {
  const { core } = context;
  const keep = async (
    connection: Awaited<ReturnType<McpContext["connect"]>>,
    replan: ReturnType<typeof rollbackPlanner>,
    execution: ExecutionChoices,
    signal: AbortSignal,
  ) => {
    const prepared = await replan(signal);
    const parked = prepared.plan.kind === "rollback" ? parkedTarget(context, prepared) : null;
    // As `--dry-run` does: a plan whose image Fly no longer has is refused now, not at execution.
    await core.verifyTargetImage(connection.client, prepared.plan, signal);
    const bound = core.bindPlan(prepared, {
      id: store.newId(),
      now: Date.now(),
      ttlMs: context.planTtlMs,
    });
    store.add({ bound, connection, replan, execution, history: prepared.history }, Date.now());
    const preflight = {
      ...core.preflightOf(prepared.plan, prepared.history),
      ...prepared.preflight,
    };
    const expiresAt = new Date(bound.expiresAt).toISOString();
    const verb =
      prepared.plan.kind === "rollback"
        ? "roll back"
        : prepared.plan.recordMetadata?.promotedFrom
          ? "promote"
          : "deploy";
    return toolResult(
      {
        planId: bound.id,
        expiresAt,
        plan: planJson(context, prepared.plan),
        preflight,
        execution: executionJson(prepared.plan, execution),
        ...(prepared.plan.kind === "rollback"
          ? { parked: parked ? { set: parked.set, machines: parked.machines.length } : null }
          : {}),
      },
      `${planText(prepared.plan, TOOL_TEXT, notRestoredOf(context, prepared.plan))}${warningsText(preflight)}\n\n${executionLines(prepared.plan, execution).join("\n")}${parked ? `\n${parkedNote(parked.machines.length)}` : ""}\n\n${core.preflightLines(prepared.preflight, prepared.plan.to.version ?? prepared.plan.to.key).join("\n")}\n\nNothing was changed. Plan ${bound.id}: call execute_plan with this plan_id before ${expiresAt} to ${verb}; it is refused if any machine or release changes first.`,
    );
  };
  const change = { readOnlyHint: false, destructiveHint: false, openWorldHint: true } as const;

  server.registerTool(
    "plan_rollback",
    {
      title: "Plan a rollback",
      description:
        "Step one of a rollback: resolve the target (a version, a range, an image digest, previous, or a release number), check its image in Fly's registry, and plan which machines change in which batches. Returns the plan, its preflight, how it will run (strategy, wait timeout, lease TTL, revert, gates, and the freeze of the app on its target once complete, unless freeze is false) and a short-lived plan_id for execute_plan. Always a redeploy: a parked target is noted, for `semfly rollback --instant`. Changes nothing.",
      inputSchema: planRollbackInput,
      annotations: change,
    },
    guarded(
      context,
      async (args: RollbackRequest & ExecutionRequest & { app?: string }, signal) => {
        const execution = await executionOf(core, args, "rollback", process.cwd());
        const connection = await context.connect(args.app);
        return keep(connection, rollbackPlanner(context, connection, args), execution, signal);
      },
    ),
  );

  server.registerTool(
    "plan_deploy",
    {
      title: "Plan a deploy",
      description:
        "Step one of a deploy: resolve the image in Fly's registry, pin it by digest, guard the version (immutable, no silent downgrade) and plan the rollout. Returns the plan, its preflight and a short-lived plan_id for execute_plan. Changes nothing.",
      inputSchema: planDeployInput,
      annotations: change,
    },
    guarded(context, async (args: DeployRequest & ExecutionRequest & { app?: string }, signal) => {
      const execution = await executionOf(core, args, "deploy", process.cwd());
      const connection = await context.connect(args.app);
      return keep(connection, deployPlanner(context, connection, args), execution, signal);
    }),
  );

  server.registerTool(
    "plan_promote",
    {
      title: "Plan a promote",
      description:
        "Step one of a promote: resolve version in the staging app (from) to its image digest, require that it is or was live there with its release complete (unless force), refuse apps of another organisation, then plan the deploy of that exact digest into the target app (app). The release will record promotedFrom (app, release, digest). Returns the plan, its preflight and a short-lived plan_id for execute_plan. Changes nothing.",
      inputSchema: planPromoteInput,
      annotations: change,
    },
    guarded(context, async (args: PromoteRequest & ExecutionRequest & { app?: string }, signal) => {
      const execution = await executionOf(core, args, "deploy", process.cwd());
      const connection = await context.connect(args.app);
      return keep(connection, promotePlanner(context, connection, args), execution, signal);
    }),
  );
}

/**
 * The parked set (a bluegreen deploy's previous machines) that runs the rollback's target, if any:
 * `semfly rollback` would start it instead of redeploying; MCP plans always redeploy, and say so.
 */
function parkedTarget(context: McpContext, prepared: PreparedRollout) {
  const { history } = prepared;
  const listing = [
    ...history.machines.map((m) => m.machine),
    ...history.unmanaged.map((u) => u.machine),
  ];
  return context.core.parkedSetFor(prepared.plan, listing, context.now());
}

function parkedNote(machines: number): string {
  return `Parked: a parked set of ${machines} machine${machines === 1 ? "" : "s"} runs this target; \`semfly rollback --instant\` would start it; this plan redeploys.`;
}
