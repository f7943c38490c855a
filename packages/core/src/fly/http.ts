/**
 * The one place semfly talks HTTP to Fly: undici `request` over an injectable dispatcher, with a per-request
 * timeout, the caller's AbortSignal, a response size cap, bounded retries and the client-side rate limiter.
 * It returns raw responses; callers decode bodies against their schemas and refine error statuses.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Dispatcher } from "undici";
import { redact, SemflyError } from "../errors.js";
import {
  abortedError,
  type HttpFailure,
  httpError,
  networkError,
  responseTooLarge,
  shortDetail,
  timeoutError,
} from "./fly-errors.js";
import type { RateLimiter } from "./rate-limit.js";
import {
  type CallRetry,
  isTransientNetworkError,
  neverSent,
  parseRetryAfter,
  type RetryOptions,
  retryDelay,
  shouldRetryStatus,
  withOverride,
} from "./retry.js";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

export interface HttpRequest {
  /** Human name used in errors and debug lines, e.g. "list machines". */
  operation: string;
  method: HttpMethod;
  url: string;
  authorization: string;
  headers?: Record<string, string> | undefined;
  /** Sent as JSON. */
  body?: unknown;
  /** Safe to send again after it may have reached Fly (see retry.ts). */
  repeatable: boolean;
  /** Rate-limit bucket: Machines API action and the machine (or app) it acts on. */
  limit?: { action: string; scope: string } | undefined;
  /** Statuses the caller handles itself (besides 2xx), e.g. 408 for wait. */
  accept?: readonly number[] | undefined;
  /** Overrides the client's per-request timeout, for long polls. */
  timeoutMs?: number | undefined;
  /** Turns an HTTP failure into a more specific error (404 app, 409 lease...); undefined keeps the default. */
  refine?:
    | ((failure: HttpFailure) => SemflyError | Promise<SemflyError | undefined> | undefined)
    | undefined;
  signal?: AbortSignal | undefined;
  /** Aborts only the wait for a rate-limit slot (see CallOptions.queueSignal). */
  queueSignal?: AbortSignal | undefined;
  /** The caller's override of the retry policy (see retry.ts). */
  retry?: CallRetry | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
  requestId: string | undefined;
}

export interface HttpTransportOptions {
  dispatcher?: Dispatcher | undefined;
  timeoutMs: number;
  retry: RetryOptions;
  limiter?: RateLimiter | undefined;
  maxResponseBytes: number;
  userAgent: string;
  debug?: ((line: string) => void) | undefined;
}

class ResponseTooLarge extends Error {}

/** A failure of one attempt that the retry loop may repeat, depending on whether the request is repeatable. */
class Retryable extends Error {
  constructor(
    readonly error: SemflyError,
    readonly retryable: (repeatable: boolean) => boolean,
  ) {
    super(error.message);
  }
}

function flattenHeaders(
  raw: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(raw)) {
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Fly's Machines API error body is `{error, status}` (or `message`); other services send text. */
export function describeErrorBody(text: string): { detail: string; flyCode: string | undefined } {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (body && typeof body === "object") {
      const said = [body.error, body.message].find((v) => typeof v === "string" && v) as
        | string
        | undefined;
      const errors = Array.isArray(body.errors) ? (body.errors as { message?: unknown }[]) : [];
      const gqlSaid = errors.map((e) => e?.message).find((m) => typeof m === "string") as
        | string
        | undefined;
      const flyCode = typeof body.status === "string" ? body.status : undefined;
      return { detail: shortDetail(said ?? gqlSaid ?? text), flyCode };
    }
  } catch {
    // Not JSON: keep the text.
  }
  return { detail: shortDetail(text), flyCode: undefined };
}

/**
 * undici is loaded on the first request, not on import: it is the heaviest module semfly loads, and what
 * only renders or plans (the extension's activation, `--help`, parse errors) never sends a request.
 */
type Undici = Pick<typeof import("undici"), "request" | "getGlobalDispatcher">;
let undici: Promise<Undici> | undefined;
const loadUndici = (): Promise<Undici> => {
  undici ??= import("undici").then((mod) =>
    // A bundle may hand a CommonJS module over as its `default` only (esbuild's split ESM output does).
    typeof mod.request === "function" ? mod : (mod as unknown as { default: Undici }).default,
  );
  return undici;
};

export class HttpTransport {
  constructor(private readonly options: HttpTransportOptions) {}

  async send(req: HttpRequest): Promise<HttpResponse> {
    const retry = withOverride(this.options.retry, req.retry);
    const repeatable = req.retry?.repeatable ?? req.repeatable;
    for (let attempt = 0; ; attempt++) {
      if (req.signal?.aborted) throw abortedError(req.operation, req.signal.reason);
      if (req.limit && this.options.limiter) {
        const queue = req.queueSignal
          ? req.signal
            ? AbortSignal.any([req.signal, req.queueSignal])
            : req.queueSignal
          : req.signal;
        await this.options.limiter.acquire(req.limit.action, req.limit.scope, queue, () =>
          abortedError(req.operation, queue?.reason),
        );
      }
      if (req.queueSignal?.aborted) throw abortedError(req.operation, req.queueSignal.reason);
      const last = attempt >= retry.retries;
      let outcome:
        | { response: HttpResponse }
        | { error: SemflyError; retryable: boolean; retryAfter?: number };
      try {
        const response = await this.once(req);
        if (
          (response.status >= 200 && response.status < 300) ||
          req.accept?.includes(response.status)
        ) {
          return response;
        }
        outcome = {
          error: await this.failure(req, response),
          retryable: shouldRetryStatus(response.status, repeatable),
          retryAfter: parseRetryAfter(response.headers["retry-after"]),
        };
      } catch (error) {
        if (!(error instanceof Retryable)) throw error;
        outcome = { error: error.error, retryable: error.retryable(repeatable) };
      }
      if (!outcome.retryable && req.retry?.retryIf?.(outcome.error)) outcome.retryable = true;
      if (!outcome.retryable || last) throw outcome.error;
      const delay = retryDelay(attempt, outcome.retryAfter, retry);
      this.log(
        `retrying ${req.operation} in ${delay}ms after ${outcome.error.code}${outcome.retryAfter === undefined ? "" : " (Retry-After)"} [attempt ${attempt + 2}/${retry.retries + 1}]`,
      );
      try {
        // A signal of its own: hundreds of machines' retries share the engine's signal, and a listener each
        // on it would set off Node's listener-leak warning on the user's terminal.
        await sleep(delay, undefined, { signal: req.signal && AbortSignal.any([req.signal]) });
      } catch {
        throw abortedError(req.operation, req.signal?.reason);
      }
    }
  }

  private async failure(req: HttpRequest, response: HttpResponse): Promise<SemflyError> {
    const { detail, flyCode } = describeErrorBody(response.text);
    const failure: HttpFailure = {
      operation: req.operation,
      status: response.status,
      detail,
      flyCode,
      requestId: response.requestId,
    };
    return (await req.refine?.(failure)) ?? httpError(failure);
  }

  /** One attempt: send, read the whole body under the size cap, time it, log it. */
  private async once(req: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    const timer = new AbortController();
    const handle = setTimeout(() => timer.abort(), timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timer.signal]) : timer.signal;
    const started = performance.now();
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": this.options.userAgent,
      ...req.headers,
      authorization: req.authorization,
    };
    if (req.body !== undefined) headers["content-type"] = "application/json";
    try {
      const { getGlobalDispatcher, request } = await loadUndici();
      const res = await request(req.url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        dispatcher: this.options.dispatcher ?? getGlobalDispatcher(),
        signal,
      });
      const responseHeaders = flattenHeaders(
        res.headers as Record<string, string | string[] | undefined>,
      );
      const requestId = responseHeaders["fly-request-id"];
      const text = await this.readBody(res.body, responseHeaders["content-length"]).catch(
        (error) => {
          if (error instanceof ResponseTooLarge) {
            throw responseTooLarge(req.operation, this.options.maxResponseBytes, requestId);
          }
          throw error;
        },
      );
      this.logExchange(req, res.statusCode, started, requestId);
      return { status: res.statusCode, headers: responseHeaders, text, requestId };
    } catch (error) {
      if (error instanceof SemflyError) throw error;
      const duration = Math.round(performance.now() - started);
      if (req.signal?.aborted) {
        this.log(`${req.method} ${req.url} cancelled after ${duration}ms`);
        throw abortedError(req.operation, req.signal.reason);
      }
      if (timer.signal.aborted) {
        this.log(`${req.method} ${req.url} timed out after ${duration}ms`);
        throw new Retryable(timeoutError(req.operation, timeoutMs), (repeatable) => repeatable);
      }
      this.log(
        `${req.method} ${req.url} failed after ${duration}ms: ${describeNetworkError(error)}`,
      );
      const wrapped = networkError(req.operation, req.url, error);
      throw new Retryable(wrapped, (repeatable) =>
        isTransientNetworkError(error) ? repeatable || neverSent(error) : false,
      );
    } finally {
      clearTimeout(handle);
    }
  }

  private async readBody(body: Dispatcher.ResponseData["body"], contentLength: string | undefined) {
    const limit = this.options.maxResponseBytes;
    if (contentLength !== undefined && Number(contentLength) > limit) {
      body.destroy();
      throw new ResponseTooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        body.destroy();
        throw new ResponseTooLarge();
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  private logExchange(
    req: HttpRequest,
    status: number,
    started: number,
    requestId: string | undefined,
  ) {
    const duration = Math.round(performance.now() - started);
    this.log(
      `${req.method} ${req.url} → ${status} in ${duration}ms${requestId ? ` (fly-request-id ${requestId})` : ""}`,
    );
  }

  /** Debug lines never carry headers; they are redacted anyway in case a URL or message holds a secret. */
  private log(line: string): void {
    this.options.debug?.(redact(line));
  }
}

function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : String((error as Error | null)?.message ?? error);
}
