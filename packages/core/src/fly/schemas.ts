/**
 * Valibot schemas for everything Fly sends back. Every body is checked here, at the boundary, so the rest of
 * semfly works on data of the promised shape; objects are loose because Fly adds fields over time.
 */
import * as v from "valibot";
import { malformedResponse } from "./fly-errors.js";
import type { HttpResponse } from "./http.js";

const str = v.string();
const optStr = v.nullish(v.string());

// --- GraphQL ---------------------------------------------------------------------------------------------

export const GraphqlErrorSchema = v.looseObject({
  message: v.string(),
  path: v.nullish(v.array(v.union([v.string(), v.number()]))),
  extensions: v.nullish(v.looseObject({ code: v.nullish(v.unknown()) })),
});
export type GraphqlErrorEntry = v.InferOutput<typeof GraphqlErrorSchema>;

export const GraphqlEnvelopeSchema = v.looseObject({
  data: v.nullish(v.unknown()),
  errors: v.nullish(v.array(GraphqlErrorSchema)),
});

export const ReleaseNodeSchema = v.looseObject({
  id: str,
  version: v.pipe(v.number(), v.integer()),
  status: str,
  stable: v.boolean(),
  reason: str,
  description: str,
  user: v.nullish(v.looseObject({ email: optStr })),
  createdAt: str,
  imageRef: optStr,
  image: v.nullish(v.looseObject({ digest: optStr, ref: optStr })),
  // JSON scalar: normally an object; anything else is treated as "no metadata" by the mapper.
  metadata: v.nullish(v.unknown()),
});
export type ReleaseNode = v.InferOutput<typeof ReleaseNodeSchema>;

export const ReleasesPageDataSchema = v.looseObject({
  app: v.nullable(
    v.looseObject({
      releases: v.looseObject({
        nodes: v.array(v.nullable(ReleaseNodeSchema)),
        pageInfo: v.looseObject({ endCursor: optStr, hasNextPage: v.boolean() }),
        totalCount: v.pipe(v.number(), v.integer()),
      }),
    }),
  ),
});

export const CurrentReleaseDataSchema = v.looseObject({
  app: v.nullable(v.looseObject({ currentRelease: v.nullish(ReleaseNodeSchema) })),
});

export const ReleaseImageConfigSchema = v.looseObject({
  id: str,
  version: v.pipe(v.number(), v.integer()),
  image: v.nullish(v.looseObject({ digest: str, config: v.nullish(v.unknown()) })),
});

const ReleaseConfigNodeSchema = v.looseObject({
  version: v.pipe(v.number(), v.integer()),
  // JSON scalar: an object when Fly has the app config, null for releases made without one.
  config: v.nullish(v.looseObject({ definition: v.nullish(v.unknown()) })),
});

export const CurrentReleaseConfigDataSchema = v.looseObject({
  app: v.nullable(v.looseObject({ currentRelease: v.nullish(ReleaseConfigNodeSchema) })),
});

export const ReleaseConfigDataSchema = v.looseObject({
  app: v.nullable(v.looseObject({ release: v.nullish(ReleaseConfigNodeSchema) })),
});

export const ImageNodeSchema = v.looseObject({
  ref: str,
  digest: str,
  registry: str,
  repository: str,
  tag: optStr,
  config: v.nullish(v.unknown()),
});
export type ImageNode = v.InferOutput<typeof ImageNodeSchema>;

export const ResolveImageDataSchema = v.looseObject({
  app: v.nullable(v.looseObject({ image: v.nullish(ImageNodeSchema) })),
});

// --- Release REST (uiex) -----------------------------------------------------------------------------------

export const RestReleaseSchema = v.looseObject({
  id: str,
  version: v.pipe(v.number(), v.integer()),
  status: str,
});

/** POST answers `{"release": …}`; PATCH answers the release itself. Accept either wrapping for both. */
export const RestReleaseBodySchema = v.union([
  v.pipe(
    v.looseObject({ release: RestReleaseSchema }),
    v.transform((body) => body.release),
  ),
  RestReleaseSchema,
]);

// --- Machines API ------------------------------------------------------------------------------------------

export const ImageRefSchema = v.looseObject({
  registry: optStr,
  repository: optStr,
  tag: optStr,
  digest: optStr,
  labels: v.nullish(v.record(v.string(), v.string())),
});

export const CheckStatusSchema = v.looseObject({
  name: optStr,
  status: optStr,
  output: optStr,
  updated_at: optStr,
});

export const MachineConfigSchema = v.looseObject({
  image: str,
  metadata: v.nullish(v.record(v.string(), v.string())),
});

export const MachineSchema = v.looseObject({
  id: str,
  name: optStr,
  state: str,
  region: optStr,
  instance_id: optStr,
  version: optStr,
  image_ref: v.nullish(ImageRefSchema),
  config: v.nullish(MachineConfigSchema),
  /** Sent instead of `config` when the machine's host is unreachable. */
  incomplete_config: v.nullish(MachineConfigSchema),
  checks: v.nullish(v.array(CheckStatusSchema)),
  updated_at: optStr,
  /** `ok`, `unknown` or `unreachable`. */
  host_status: optStr,
  events: v.nullish(v.array(v.lazy(() => MachineEventSchema))),
});
export type MachineWire = v.InferOutput<typeof MachineSchema>;

export const MachineListSchema = v.array(MachineSchema);

/** fly-go `MachineExitEvent`, inside an event's untyped `request`. */
const ExitEventSchema = v.looseObject({
  exit_code: v.nullish(v.number()),
  guest_exit_code: v.nullish(v.number()),
  requested_stop: v.nullish(v.boolean()),
  restarting: v.nullish(v.boolean()),
  oom_killed: v.nullish(v.boolean()),
});

export const MachineEventSchema = v.looseObject({
  id: optStr,
  type: optStr,
  status: optStr,
  source: optStr,
  timestamp: v.nullish(v.number()),
  request: v.nullish(
    v.looseObject({
      exit_event: v.nullish(ExitEventSchema),
      restart_count: v.nullish(v.number()),
    }),
  ),
});
export type MachineEventWire = v.InferOutput<typeof MachineEventSchema>;

export const MachineEventsSchema = v.array(MachineEventSchema);

export const MachineVersionsSchema = v.array(
  v.looseObject({ version: str, user_config: MachineConfigSchema }),
);

export const LeaseDataSchema = v.looseObject({
  nonce: str,
  expires_at: v.nullish(v.number()),
  owner: optStr,
  description: optStr,
  version: optStr,
});

/** Fly's docs show `{"status":"success","data":{…lease}}`; the 2024 Swagger shows the lease itself. */
export const LeaseBodySchema = v.union([
  v.pipe(
    v.looseObject({ data: LeaseDataSchema }),
    v.transform((body) => body.data),
  ),
  LeaseDataSchema,
]);

export const MetadataSchema = v.record(v.string(), v.string());

export const WaitBodySchema = v.looseObject({ ok: v.nullish(v.boolean()), state: optStr });

// --- decoding ----------------------------------------------------------------------------------------------

function describeIssue(issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  const issue = issues[0];
  const path = v.getDotPath(issue);
  return `${path ? `field "${path}": ` : ""}${issue.message}`;
}

export function parseJsonText(operation: string, response: HttpResponse): unknown {
  if (response.text.trim() === "") {
    throw malformedResponse(operation, "empty body", response.requestId, response.status);
  }
  try {
    return JSON.parse(response.text);
  } catch (error) {
    throw malformedResponse(
      operation,
      "not valid JSON (truncated?)",
      response.requestId,
      response.status,
      error,
    );
  }
}

export function checkShape<S extends v.GenericSchema>(
  operation: string,
  schema: S,
  value: unknown,
  response: Pick<HttpResponse, "requestId" | "status">,
): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  throw malformedResponse(
    operation,
    describeIssue(result.issues),
    response.requestId,
    response.status,
  );
}

/** Parse a JSON body and check it against a schema; any failure is MALFORMED_RESPONSE naming the operation. */
export function decode<S extends v.GenericSchema>(
  operation: string,
  schema: S,
  response: HttpResponse,
): v.InferOutput<S> {
  return checkShape(operation, schema, parseJsonText(operation, response), response);
}
