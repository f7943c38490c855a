/**
 * The one error type semfly raises. Every layer (model, client, rollout) throws it, so the CLI and the
 * extension render every failure the same way: one line, a suggestion, and the right exit code.
 */
export type SemflyErrorKind =
  /** The user asked for something that cannot be done (bad version, unknown app, missing token). Exit 2. */
  | "input"
  /** Fly answered with an error, or could not be reached, or answered something malformed. Exit 1. */
  | "api"
  /** A rollout ran and did not complete (failed, reverted, interrupted). Exit 1. */
  | "rollout";

export interface SemflyErrorOptions {
  code: string;
  message: string;
  kind?: SemflyErrorKind;
  suggestion?: string | undefined;
  /** HTTP status of Fly's answer, when there was one. */
  status?: number | undefined;
  /** Fly's own error code (the `status` field of a Machines API error body, or a GraphQL extensions.code). */
  flyCode?: string | undefined;
  /** The `fly-request-id` response header: what Fly support asks for. */
  requestId?: string | undefined;
  /** Which operation failed, e.g. "list machines". */
  operation?: string | undefined;
  cause?: unknown;
}

const SECRET_PATTERNS: RegExp[] = [
  // Fly macaroon tokens and their scheme prefixes.
  /\b(?:FlyV1|Bearer)\s+[^\s"',]+(?:,[^\s"',]+)*/gi,
  /\bfm[12][ar]?_[A-Za-z0-9+/=_-]+/g,
];

const knownSecrets = new Set<string>();

/** Remember a secret (the token in use) so that `redact` removes it from any text, whatever its shape. */
export function registerSecret(secret: string | undefined | null): void {
  if (!secret) return;
  for (const part of secret.split(/[,\s]+/)) {
    if (part.length >= 6) knownSecrets.add(part);
  }
  if (secret.length >= 6) knownSecrets.add(secret);
}

/**
 * A run of at least this many characters of a known secret counts as part of it. Text is cut (error
 * bodies, debug lines), so a secret can arrive as its first or last characters only; shorter runs are
 * too common in ordinary text to remove.
 */
const SECRET_FRAGMENT = 8;

/** Remove every known token and anything shaped like a Fly token from a text. */
export function redact(text: string): string {
  let out = text;
  for (const secret of [...knownSecrets].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join("[REDACTED]");
  }
  for (const secret of knownSecrets) out = redactFragments(out, secret);
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match) =>
      /^(FlyV1|Bearer)\s/i.test(match) ? `${match.split(/\s/)[0]} [REDACTED]` : "[REDACTED]",
    );
  }
  return out;
}

/**
 * Remove every long prefix or suffix of `secret` from `text`: the head of a token where a message was cut
 * after it, and its tail where a message was cut before it.
 */
function redactFragments(text: string, secret: string): string {
  if (secret.length < SECRET_FRAGMENT) return text;
  const head = secret.slice(0, SECRET_FRAGMENT);
  const tail = secret.slice(-SECRET_FRAGMENT);
  const spans: Array<[number, number]> = [];
  for (let at = text.indexOf(head); at >= 0; at = text.indexOf(head, at + 1)) {
    let end = at + SECRET_FRAGMENT;
    while (end < text.length && end - at < secret.length && text[end] === secret[end - at]) end++;
    spans.push([at, end]);
  }
  for (let at = text.indexOf(tail); at >= 0; at = text.indexOf(tail, at + 1)) {
    let start = at;
    const last = secret.length - SECRET_FRAGMENT;
    let k = last;
    while (start > 0 && k > 0 && text[start - 1] === secret[k - 1]) {
      start--;
      k--;
    }
    spans.push([start, at + SECRET_FRAGMENT]);
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let cursor = 0;
  for (const [start, end] of spans) {
    // Overlapping runs (a head and a tail of one short quote) are one redaction.
    if (start >= cursor) out += `${text.slice(cursor, start)}[REDACTED]`;
    cursor = Math.max(cursor, end);
  }
  return out + text.slice(cursor);
}

export class SemflyError extends Error {
  override readonly name = "SemflyError";
  readonly code: string;
  readonly kind: SemflyErrorKind;
  readonly suggestion: string | undefined;
  readonly status: number | undefined;
  readonly flyCode: string | undefined;
  readonly requestId: string | undefined;
  readonly operation: string | undefined;

  constructor(options: SemflyErrorOptions) {
    // One line, single-spaced: a message is read in a terminal, a CI log or a notification.
    super(redact(oneSpaced(options.message)), { cause: options.cause });
    this.code = options.code;
    this.kind = options.kind ?? "api";
    this.suggestion =
      options.suggestion === undefined ? undefined : redact(oneSpaced(options.suggestion));
    this.status = options.status;
    this.flyCode = options.flyCode;
    this.requestId = options.requestId;
    this.operation = options.operation;
  }

  /** The process exit code a CLI should use: 2 for bad input, 1 for everything else. */
  get exitCode(): 1 | 2 {
    return this.kind === "input" ? 2 : 1;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      kind: this.kind,
      message: this.message,
      suggestion: this.suggestion,
      status: this.status,
      flyCode: this.flyCode,
      requestId: this.requestId,
      operation: this.operation,
    };
  }
}

function oneSpaced(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * How every message shows a value the user gave that semfly cannot take (not a version, not found, out
 * of range): in double quotes, JSON-escaped, so that an empty value, a space or a control character is
 * visible (`--image ""`, `"acme web"`). Names semfly found (versions, releases, apps, machines) are bare;
 * commands to run are in backticks.
 */
export function quote(value: string | number): string {
  return JSON.stringify(String(value));
}

export function inputError(code: string, message: string, suggestion?: string): SemflyError {
  return new SemflyError({ code, message, suggestion, kind: "input" });
}

export function isSemflyError(error: unknown): error is SemflyError {
  return error instanceof SemflyError;
}
