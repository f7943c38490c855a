import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { PreparedRollout } from "@semfly/core";
import { resultText, rolloutJson } from "../render/rollout.js";
import type { McpContext } from "./context.js";
import type { PlanStore } from "./plan-store.js";
import { unknownPlan } from "./plan-tools.js";
import { notRestoredOf } from "./planning.js";
import { progressNotifier } from "./progress.js";
import { guarded, toolResult } from "./results.js";
import { executeInput } from "./schemas.js";
import { TOOL_TEXT } from "./text.js";

/**
 * execute_plan: the only tool that changes an app, and only as a plan said it would. Returns a function
 * that resolves once every rollout in flight has ended (the server waits for it before exiting).
 */
export function registerExecuteTool(
  server: McpServer,
  context: McpContext,
  store: PlanStore,
): () => Promise<void> {
  const { core } = context;
  const running = new Set<Promise<unknown>>();
  server.registerTool(
    "execute_plan",
    {
      title: "Execute a plan",
      description:
        "Step two: run a plan made by plan_rollback, plan_deploy or plan_promote, once. Refused if the plan expired, or if anything it was bound to changed since (machines and their config versions, the live version, the target digest, a new Fly release): then nothing is changed. Leases every machine, records a Fly release, replaces machines batch by batch waiting for each to start and pass its checks, and puts every changed machine back if one fails. Reports progress when the request carries a progressToken; cancelling the request interrupts the rollout as Ctrl-C does.",
      inputSchema: executeInput,
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    },
    guarded(context, async ({ plan_id }: { plan_id: string }, signal, extra) => {
      const stored = store.get(plan_id);
      if (!stored) throw unknownPlan(context, plan_id);
      core.assertPlanNotExpired(stored.bound, Date.now());
      let fresh: PreparedRollout;
      try {
        fresh = await stored.replan(signal);
      } catch (error) {
        // A plan that cannot be made again (its target is live now, say) no longer describes the app.
        if (!core.isSemflyError(error) || error.kind !== "input") throw error;
        throw core.inputError(
          "PLAN_CHANGED",
          `Plan ${plan_id} no longer matches ${stored.bound.plan.app}: planning it again fails: ${error.message}`,
          "Nothing was changed. Plan again, review the new plan, and execute that one.",
        );
      }
      core.assertPlanUnchanged(stored.bound, fresh);
      // Taken only once it holds (a plan Fly could not be asked about stays), and only once: a second
      // call with the same id while this one was checking finds nothing.
      if (!store.take(plan_id)) throw unknownPlan(context, plan_id);
      const plan = stored.bound.plan;
      const progress = progressNotifier(plan, extra, core.redact);
      const run = core.executeRollout(stored.connection.client, plan, {
        signal,
        ...(progress ? { onEvent: (event) => progress.onEvent(event) } : {}),
        ...(stored.execution.waitTimeoutMs === undefined
          ? {}
          : { waitTimeoutMs: stored.execution.waitTimeoutMs }),
        ...(stored.execution.leaseTtlSeconds === undefined
          ? {}
          : { leaseTtlSeconds: stored.execution.leaseTtlSeconds }),
        revert: stored.execution.revert,
        imageCheck: { registry: stored.connection.registry },
        timing: core.parseRolloutTiming(process.env.SEMFLY_ROLLOUT_TIMING),
      });
      running.add(run);
      const result = await run.finally(() => running.delete(run));
      await progress?.flush();
      const notRestored = notRestoredOf(context, plan);
      return toolResult(
        rolloutJson({ plan, result, bin: context.bin, notRestored }),
        resultText(result, TOOL_TEXT, context.bin, notRestored),
        { isError: result.status !== "complete" },
      );
    }),
  );
  return async () => {
    while (running.size > 0) await Promise.allSettled([...running]);
  };
}
