/**
 * When and how long to retry.
 *
 * The rule: a request is retried only when repeating it cannot do something twice.
 * - Statuses 408, 429, 500, 502, 503, 504 and network failures/timeouts are transient: this is the one place
 *   that says so (408 is Fly timing a request out, 500 is what Fly's release API answers under load; flyctl
 *   retries its release status updates on any 5xx).
 * - "Repeatable" requests (GETs, GraphQL queries, wait, lease refresh/release, metadata set, release status
 *   update) are retried on any transient failure.
 * - Other requests (machine update, start, lease acquire, release create) are retried only when Fly cannot have
 *   acted on them: the connection was never made (refused, DNS, connect timeout), or Fly answered 429, which
 *   is a refusal before any work is done. A 5xx or a reset after sending may hide a change that happened, so
 *   it is surfaced instead of repeated.
 */
import type { SemflyError } from "../errors.js";

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Ceiling for a server's `Retry-After`, which could otherwise stall a rollout for hours. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  retries: 4,
  minDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * A per-call override of the client's retry policy (octokit's `request.retries`, by call). The transport
 * still decides what is transient; a call only says how safe it is to resend and how long it may wait.
 */
export interface CallRetry {
  /** Safe to resend after it may have reached Fly (an update guarded by `current_version`, a revert). */
  repeatable?: boolean | undefined;
  /** Retries after the first attempt, instead of the client's default. */
  retries?: number | undefined;
  /** The longest sleep between tries, `Retry-After` included: a lease refresh must not outsleep its TTL. */
  maxDelayMs?: number | undefined;
  /** Also retry a failure this says yes to (e.g. our own lease, re-taken while the call was on its way). */
  retryIf?: ((error: SemflyError) => boolean) | undefined;
}

/** The client's policy with one call's override applied. */
export function withOverride(options: RetryOptions, override: CallRetry | undefined): RetryOptions {
  if (!override) return options;
  const maxDelayMs = override.maxDelayMs ?? Number.POSITIVE_INFINITY;
  return {
    retries: override.retries ?? options.retries,
    minDelayMs: Math.min(options.minDelayMs, maxDelayMs),
    maxDelayMs: Math.min(options.maxDelayMs, maxDelayMs),
    maxRetryAfterMs: Math.min(options.maxRetryAfterMs, maxDelayMs),
  };
}

/** Error codes meaning the request never reached Fly, so even a non-repeatable request may be re-sent. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Error codes for a connection that failed mid-flight: transient, but the request may have been acted on. */
const MID_FLIGHT_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause && cause !== error ? errorCode(cause) : undefined;
}

export function neverSent(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

export function isTransientNetworkError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && (NOT_SENT_CODES.has(code) || MID_FLIGHT_CODES.has(code));
}

export function shouldRetryStatus(status: number, repeatable: boolean): boolean {
  if (status === 429) return true;
  return repeatable && TRANSIENT_STATUSES.has(status);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so clients retrying together spread out. */
export function backoffDelay(
  attempt: number,
  options: RetryOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  options: RetryOptions,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxRetryAfterMs);
  return backoffDelay(attempt, options);
}
