/**
 * Fly's Prometheus API, one per organization: `GET {metricsBase}/prometheus/{org}/api/v1/query`, with the
 * same token as GraphQL. Only instant queries: a gate is judged on a value now.
 */
import * as v from "valibot";
import { SemflyError } from "../errors.js";
import type { MetricSample } from "../verify/verdict.js";
import type { CallOptions, FlyContext } from "./context.js";
import { APP_ORGANIZATION_QUERY } from "./graphql.js";
import { appNotFoundError, graphqlQuery } from "./graphql-request.js";
import { decode } from "./schemas.js";

const AppOrganizationDataSchema = v.looseObject({
  app: v.nullable(v.looseObject({ organization: v.looseObject({ slug: v.string() }) })),
});

export async function appOrganization(
  ctx: FlyContext,
  app: string,
  options?: CallOptions,
): Promise<string> {
  const operation = "read the app's organization";
  const data = await graphqlQuery(
    ctx,
    {
      operation,
      app,
      document: APP_ORGANIZATION_QUERY,
      variables: { appName: app },
      data: AppOrganizationDataSchema,
    },
    options,
  );
  if (!data.app) throw appNotFoundError(operation, app, undefined);
  return data.app.organization.slug;
}

/** A sample's value arrives as a string, as Prometheus writes floats ("0.25", "NaN", "+Inf"). */
const SampleValueSchema = v.tuple([v.number(), v.string()]);
const QueryResponseSchema = v.variant("status", [
  v.looseObject({
    status: v.literal("success"),
    data: v.variant("resultType", [
      v.looseObject({
        resultType: v.literal("vector"),
        result: v.array(
          v.looseObject({ metric: v.record(v.string(), v.string()), value: SampleValueSchema }),
        ),
      }),
      v.looseObject({ resultType: v.literal("scalar"), result: SampleValueSchema }),
    ]),
  }),
  v.looseObject({
    status: v.literal("error"),
    errorType: v.optional(v.string()),
    error: v.optional(v.string()),
  }),
]);

export async function queryMetrics(
  ctx: FlyContext,
  org: string,
  query: string,
  options?: CallOptions,
): Promise<MetricSample[]> {
  const operation = "query Fly's metrics";
  const params = new URLSearchParams({ query });
  const response = await ctx.http.send({
    operation,
    method: "GET",
    url: `${ctx.endpoints.metricsBaseUrl}/prometheus/${encodeURIComponent(org)}/api/v1/query?${params}`,
    authorization: ctx.authorization.graphql,
    repeatable: true,
    // Prometheus answers a bad query with 400 and an error body: read it rather than fail on the status.
    accept: [400, 422],
    signal: options?.signal,
  });
  const body = decode(operation, QueryResponseSchema, response);
  if (body.status === "error") {
    throw new SemflyError({
      code: "METRICS_QUERY_REJECTED",
      kind: "input",
      message: `Fly's metrics refused the query: ${body.error ?? body.errorType ?? `HTTP ${response.status}`}`,
      suggestion:
        "Check the gate's PromQL (try it in Fly's Grafana, Explore, the app's organization).",
      status: response.status,
      requestId: response.requestId,
      operation,
    });
  }
  if (body.data.resultType === "scalar") {
    return [{ labels: {}, value: Number(body.data.result[1]) }];
  }
  return body.data.result.map((series) => ({
    labels: series.metric,
    value: Number(series.value[1]),
  }));
}
