/** Fly's per-organization Prometheus query API: `GET|POST /prometheus/{org}/api/v1/query`. */
import { type Route, sendJson } from "./http.js";
import { evaluatePromql, PromqlError } from "./promql.js";
import type { EmulatorState } from "./state.js";
import type { TrafficModel } from "./traffic.js";

const QUERY_PATH = /^\/prometheus\/([^/]+)\/api\/v1\/query$/;

export function routeMetrics(
  state: EmulatorState,
  traffic: TrafficModel,
  method: string,
  pathname: string,
): Route | null {
  const match = QUERY_PATH.exec(pathname);
  if (!match || (method !== "GET" && method !== "POST")) return null;
  const org = decodeURIComponent(match[1]!);
  return {
    service: "metrics",
    operation: "metrics.query",
    mutating: false,
    handle: (ctx) => {
      const form =
        method === "POST" ? new URLSearchParams(ctx.body.toString()) : ctx.url.searchParams;
      const query = form.get("query");
      if (!query) {
        sendJson(ctx.res, 400, {
          status: "error",
          errorType: "bad_data",
          error: "query is required",
        });
        return;
      }
      const known = [...state.apps.values()].some((app) => app.organization.slug === org);
      if (!known) {
        sendJson(ctx.res, 404, {
          status: "error",
          errorType: "not_found",
          error: `organization ${org} not found`,
        });
        return;
      }
      // Only this organization's apps are visible, as on Fly.
      const source = (metric: string) =>
        traffic
          .series(metric)
          .filter((s) => state.apps.get(s.labels.app ?? "")?.organization.slug === org);
      try {
        const value = evaluatePromql(query, source);
        const at = state.now() / 1000;
        const data =
          value.kind === "scalar"
            ? { resultType: "scalar", result: [at, String(value.value)] }
            : {
                resultType: "vector",
                result: value.samples.map((s) => ({
                  metric: s.labels,
                  value: [at, promFloat(s.value)],
                })),
              };
        sendJson(ctx.res, 200, { status: "success", data });
      } catch (error) {
        if (!(error instanceof PromqlError)) throw error;
        sendJson(ctx.res, 400, {
          status: "error",
          errorType: "bad_data",
          error: `parse error: ${error.message}`,
        });
      }
    },
  };
}

function promFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "+Inf";
  if (x === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(x);
}
