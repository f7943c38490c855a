import { quote, redact, SemflyError, type SemflyErrorKind } from "../errors.js";

/** What a failed HTTP exchange told us, before it becomes a SemflyError. */
export interface HttpFailure {
  operation: string;
  status: number;
  /** The human part of Fly's error body (`error`/`message`), or the raw body, shortened. */
  detail: string;
  /** Machines API `status` field, when the body had one. */
  flyCode: string | undefined;
  requestId: string | undefined;
}

export const SUGGESTIONS = {
  auth: "Check FLY_API_TOKEN / FLY_ACCESS_TOKEN or --access-token (run `fly auth token` to print a working token).",
  forbidden:
    "The token is valid but not allowed to do this: use a token for the app's organization (`fly tokens create deploy`).",
  app: "Check the app name (--app, FLY_APP or `app` in fly.toml) and that the token can see it (`fly apps list`).",
  machine: "The machine may have been destroyed meanwhile: list the app's machines again.",
  lease:
    "Another deploy or rollback is in progress on this machine: wait for it to finish (or for the lease to expire) and retry.",
  conflict: "The machine changed while semfly was working on it: re-read its state and retry.",
  busy: "Fly is busy or having trouble: retry in a minute (https://status.flyio.net).",
  network:
    "Check connectivity and the FLY_API_BASE_URL / FLY_FLAPS_BASE_URL / FLY_UIEX_BASE_URL settings.",
  timeout: "Fly did not answer in time: retry, or raise the request timeout.",
  malformed:
    "Fly answered something semfly does not understand: retry, and report it if it persists.",
  finished: "The release is already finished; Fly does not accept further changes to it.",
} as const;

/**
 * Cut a detail to one readable line: Fly error bodies can be HTML pages or long stack traces. Redacted
 * before the cut: a token that straddles the cut would otherwise survive as a prefix no pattern knows.
 */
export function shortDetail(text: string, max = 300): string {
  const line = redact(text).replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

function failure(
  f: HttpFailure,
  code: string,
  message: string,
  suggestion: string,
  kind: SemflyErrorKind = "api",
): SemflyError {
  return new SemflyError({
    code,
    message,
    suggestion,
    kind,
    status: f.status,
    flyCode: f.flyCode,
    requestId: f.requestId,
    operation: f.operation,
  });
}

/** The default reading of an HTTP error status; operations refine 404/409/422 through `refine`. */
export function httpError(f: HttpFailure): SemflyError {
  const said = f.detail ? `: ${f.detail}` : "";
  const base = `Fly refused to ${f.operation} (HTTP ${f.status})${said}`;
  if (f.status === 401) return failure(f, "UNAUTHORIZED", base, SUGGESTIONS.auth, "input");
  if (f.status === 403) return failure(f, "FORBIDDEN", base, SUGGESTIONS.forbidden, "input");
  if (f.status === 404) return failure(f, "NOT_FOUND", base, SUGGESTIONS.app, "input");
  if (f.status === 408) return failure(f, "FLY_TIMEOUT", base, SUGGESTIONS.timeout);
  if (f.status === 409) return failure(f, "CONFLICT", base, SUGGESTIONS.conflict);
  if (f.status === 429) return failure(f, "RATE_LIMITED", base, SUGGESTIONS.busy);
  if (f.status >= 500) {
    return failure(
      f,
      "FLY_SERVER_ERROR",
      `Fly failed to ${f.operation} (HTTP ${f.status})${said}`,
      SUGGESTIONS.busy,
    );
  }
  return failure(
    f,
    "REQUEST_REJECTED",
    base,
    "Check the request's arguments; the detail above is Fly's own words.",
  );
}

export function appNotFound(f: HttpFailure, app: string): SemflyError {
  return failure(
    f,
    "APP_NOT_FOUND",
    `Fly has no app named ${quote(app)}.`,
    SUGGESTIONS.app,
    "input",
  );
}

export function machineNotFound(f: HttpFailure, app: string, machineId: string): SemflyError {
  return failure(
    f,
    "MACHINE_NOT_FOUND",
    `Machine ${machineId} was not found in app ${app}`,
    SUGGESTIONS.machine,
    "input",
  );
}

export function leaseConflict(
  f: HttpFailure,
  machineId: string,
  holder: string | undefined,
): SemflyError {
  const by = holder ? ` by ${holder}` : "";
  return failure(
    f,
    "LEASE_CONFLICT",
    `Machine ${machineId} is leased${by}: another deploy or rollback holds it`,
    SUGGESTIONS.lease,
  );
}

export function releaseFinished(f: HttpFailure, releaseId: string): SemflyError {
  return failure(
    f,
    "RELEASE_FINISHED",
    `Release ${releaseId} has already finished and cannot be updated`,
    SUGGESTIONS.finished,
  );
}

export function malformedResponse(
  operation: string,
  detail: string,
  requestId: string | undefined,
  status: number | undefined,
  cause?: unknown,
): SemflyError {
  return new SemflyError({
    code: "MALFORMED_RESPONSE",
    message: `Fly's answer to "${operation}" is malformed: ${detail}`,
    suggestion: SUGGESTIONS.malformed,
    operation,
    requestId,
    status,
    cause,
  });
}

export function responseTooLarge(
  operation: string,
  limit: number,
  requestId: string | undefined,
): SemflyError {
  return new SemflyError({
    code: "RESPONSE_TOO_LARGE",
    message: `Fly's answer to "${operation}" is larger than ${Math.round(limit / 1024 / 1024)} MB; semfly stopped reading it`,
    suggestion: SUGGESTIONS.malformed,
    operation,
    requestId,
  });
}

export function abortedError(operation: string, cause?: unknown): SemflyError {
  return new SemflyError({
    code: "ABORTED",
    message: `"${operation}" was cancelled`,
    operation,
    cause,
  });
}

export function timeoutError(operation: string, timeoutMs: number, cause?: unknown): SemflyError {
  return new SemflyError({
    code: "TIMEOUT",
    message: `Fly did not answer "${operation}" within ${Math.round(timeoutMs / 100) / 10}s`,
    suggestion: SUGGESTIONS.timeout,
    operation,
    cause,
  });
}

export function networkError(operation: string, url: string, cause: unknown): SemflyError {
  const code = (cause as { code?: unknown } | null)?.code;
  const why =
    typeof code === "string" ? code : ((cause as Error | null)?.message ?? "unknown error");
  return new SemflyError({
    code: "NETWORK_ERROR",
    message: `Could not reach Fly at ${new URL(url).origin} to ${operation} (${shortDetail(String(why), 120)})`,
    suggestion: SUGGESTIONS.network,
    operation,
    cause,
  });
}
