import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { McpContext } from "./context.js";
import { registerExecuteTool } from "./execute-tool.js";
import { PlanStore } from "./plan-store.js";
import { registerPlanTools, registerPreflightTool } from "./plan-tools.js";
import { registerReadTools } from "./read-tools.js";

export interface SemflyMcpServer {
  server: McpServer;
  /** Resolves once no rollout is in flight. */
  drain(): Promise<void>;
}

/** semfly's tools over MCP: read tools always, the two-step change tools unless read-only. */
export function createSemflyMcpServer(context: McpContext): SemflyMcpServer {
  const server = new McpServer(
    { name: "semfly", version: context.version },
    {
      instructions:
        "semfly: semver releases and rollbacks for Fly.io apps. Read with list_versions, status, diff_versions, show_config and preflight. To change an app: plan_rollback, plan_deploy or plan_promote returns a plan and a plan_id; show the plan to the user, then execute_plan with that plan_id. A plan is refused if it expired or if anything it was bound to changed since.",
    },
  );
  const store = new PlanStore();
  registerReadTools(server, context);
  registerPreflightTool(server, context, store);
  if (context.readOnly) return { server, drain: async () => {} };
  registerPlanTools(server, context, store);
  const drain = registerExecuteTool(server, context, store);
  return { server, drain };
}
