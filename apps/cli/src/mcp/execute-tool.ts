import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { PreparedRollout } from "@semfly/core";
import { resultText, rolloutJson } from "../render/rollout.js";
import { freezeAfterRollback } from "../rollback-freeze.js";
import { loadHistory, type McpContext } from "./context.js";
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
        "Step two: run a plan made by plan_rollback, plan_deploy or plan_promote, once, with the choices the plan shows (strategy, wait timeout, lease TTL, revert, gates, freeze). Refused if the plan expired, or if anything it was bound to changed since (machines and their config versions, the live version, the target digest, a new Fly release): then nothing is changed. Leases every machine, records a Fly release, replaces machines batch by batch waiting for each to start and pass its checks and the gates of semfly.toml; if a machine or a gate fails, puts every changed machine back, unless the plan was made with revert false. After a complete rollback, freezes the app on its target as `semfly rollback` does, unless the plan was made with freeze false. Reports progress when the request carries a progressToken; cancelling the request interrupts the rollout as Ctrl-C does.",
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
      const { connection, execution } = stored;
      const run = core
        .executeRollout(connection.client, plan, {
          signal,
          ...(progress ? { onEvent: (event) => progress.onEvent(event) } : {}),
          waitTimeoutMs: execution.waitTimeoutMs,
          leaseTtlSeconds: execution.leaseTtlSeconds,
          revert: execution.revert,
          imageCheck: { registry: connection.registry },
          gates: {
            gates: execution.gates,
            sources: core.gateSources(connection.client, plan.app),
          },
          timing: core.parseRolloutTiming(process.env.SEMFLY_ROLLOUT_TIMING),
        })
        .then(async (result) => {
          // As `semfly rollback`: freeze on the target, from the history read again after the rollout
          // (a rollback serves from machines the plan may not have listed). The server's signal, not the
          // request's: a rollback that completed stands, and its freeze is written even if the client left.
          const after =
            result.status === "complete" && plan.kind === "rollback" && execution.freeze
              ? await freezeAfterRollback({
                  core,
                  client: connection.client,
                  prepared: { ...fresh, history: await loadHistory(connection, context.shutdown) },
                  result,
                  reason: execution.reason,
                  now: context.now(),
                  bin: context.bin,
                  signal: context.shutdown,
                })
              : null;
          return { result, after };
        });
      running.add(run);
      const { result, after } = await run.finally(() => running.delete(run));
      await progress?.flush();
      const notRestored = notRestoredOf(context, plan);
      return toolResult(
        {
          ...rolloutJson({ plan, result, bin: context.bin, notRestored }),
          ...(plan.kind === "rollback" ? { freeze: null, ...after?.json } : {}),
        },
        [resultText(result, TOOL_TEXT, context.bin, notRestored), ...(after?.lines ?? [])].join(
          "\n",
        ),
        { isError: result.status !== "complete" || after?.failed === true },
      );
    }),
  );
  return async () => {
    while (running.size > 0) await Promise.allSettled([...running]);
  };
}
