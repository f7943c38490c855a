/**
 * Sending a GraphQL query and reading Fly's answer: HTTP errors, the `errors` array (which Fly returns with
 * HTTP 200), the unknown-app case, and the shape of `data`.
 */
import * as v from "valibot";
import { quote, SemflyError } from "../errors.js";
import type { CallOptions, FlyContext } from "./context.js";
import { httpError, SUGGESTIONS, shortDetail } from "./fly-errors.js";
import { describeErrorBody } from "./http.js";
import {
  checkShape,
  GraphqlEnvelopeSchema,
  type GraphqlErrorEntry,
  parseJsonText,
} from "./schemas.js";

export interface GraphqlQuery<S extends v.GenericSchema> {
  operation: string;
  document: string;
  variables: Record<string, unknown>;
  data: S;
  /** The app the query is about, for APP_NOT_FOUND. */
  app: string;
  /** Errors the caller treats as an answer (e.g. NOT_FOUND on `app.image` means "no such image"). */
  tolerate?: ((error: GraphqlErrorEntry) => boolean) | undefined;
}

function codeOf(error: GraphqlErrorEntry): string | undefined {
  const code = error.extensions?.code;
  return typeof code === "string" ? code : undefined;
}

export function appNotFoundError(
  operation: string,
  app: string,
  requestId: string | undefined,
  flyCode?: string,
) {
  return new SemflyError({
    code: "APP_NOT_FOUND",
    kind: "input",
    message: `Fly has no app named ${quote(app)}.`,
    suggestion: SUGGESTIONS.app,
    flyCode,
    requestId,
    operation,
  });
}

function graphqlFailure(
  operation: string,
  app: string,
  errors: GraphqlErrorEntry[],
  data: unknown,
  status: number,
  requestId: string | undefined,
): SemflyError {
  const first = errors[0]!;
  const flyCode = codeOf(first);
  const appMissing = (data as { app?: unknown } | null | undefined)?.app === null;
  if (
    flyCode === "NOT_FOUND" &&
    (first.path?.[0] === "app" || appMissing) &&
    (first.path?.length ?? 1) <= 1
  ) {
    return appNotFoundError(operation, app, requestId, flyCode);
  }
  const unauthorized =
    flyCode === "UNAUTHORIZED" || flyCode === "UNAUTHENTICATED" || status === 401;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return new SemflyError({
    code: unauthorized ? "UNAUTHORIZED" : "GRAPHQL_ERROR",
    kind: unauthorized ? "input" : "api",
    message: `Fly refused to ${operation}: ${shortDetail(first.message)}${more}`,
    suggestion: unauthorized ? SUGGESTIONS.auth : SUGGESTIONS.busy,
    status,
    flyCode,
    requestId,
    operation,
  });
}

export async function graphqlQuery<S extends v.GenericSchema>(
  ctx: FlyContext,
  query: GraphqlQuery<S>,
  options: CallOptions = {},
): Promise<v.InferOutput<S>> {
  const response = await ctx.http.send({
    operation: query.operation,
    method: "POST",
    url: `${ctx.endpoints.apiBaseUrl}/graphql`,
    authorization: ctx.authorization.graphql,
    body: { query: query.document, variables: query.variables },
    // Queries change nothing, so any transient failure may be retried.
    repeatable: true,
    accept: [400, 401, 403, 404, 422],
    signal: options.signal,
  });
  if (response.status >= 300) {
    // A GraphQL server may put its `errors` on a 4xx: prefer them, else read the status like any HTTP error.
    const envelope = v.safeParse(GraphqlEnvelopeSchema, tryJson(response.text));
    const errors = envelope.success ? (envelope.output.errors ?? []) : [];
    if (errors.length > 0) {
      throw graphqlFailure(
        query.operation,
        query.app,
        errors,
        envelope.success ? envelope.output.data : undefined,
        response.status,
        response.requestId,
      );
    }
    const { detail, flyCode } = describeErrorBody(response.text);
    throw httpError({
      operation: query.operation,
      status: response.status,
      detail,
      flyCode,
      requestId: response.requestId,
    });
  }
  const envelope = checkShape(
    query.operation,
    GraphqlEnvelopeSchema,
    parseJsonText(query.operation, response),
    response,
  );
  const errors = (envelope.errors ?? []).filter((error) => !query.tolerate?.(error));
  if (errors.length > 0) {
    throw graphqlFailure(
      query.operation,
      query.app,
      errors,
      envelope.data,
      response.status,
      response.requestId,
    );
  }
  return checkShape(query.operation, query.data, envelope.data, response);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
