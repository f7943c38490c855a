import type { IncomingMessage, ServerResponse } from "node:http";
import type { Service } from "./model.js";
import { EmulatorError } from "./state.js";

/** One request as the handlers see it (body read, caller identified). */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  body: Buffer;
  /** The email of the token's user; null when unauthenticated. */
  user: string | null;
  /** Resolves when the client goes away or the emulator closes (for long polls). */
  aborted: Promise<void>;
  /** Findings about the request for the request log (e.g. `config_from_incomplete_config`). */
  notes: string[];
}

export interface Route {
  service: Service;
  /** GraphQL operation name, or a route name like `machines.update`. */
  operation: string;
  mutating: boolean;
  /** Token-bucket key (Machines API only): per action, per machine or per app. */
  rateLimitKey?: string;
  /** `get` gets the higher Get Machine limit. */
  rateLimitClass?: "get" | "default";
  /** Served without a token (an app's public traffic). */
  public?: boolean;
  handle(ctx: RequestContext): Promise<void> | void;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status);
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Fly's Machines API error body: `{"error": "..."}` (ErrorResponse). */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: message }, headers);
}

/** Parses a JSON body; an empty body is `undefined`. Bad JSON is a 400. */
export function parseJsonBody(ctx: RequestContext): unknown {
  if (ctx.body.length === 0) return undefined;
  try {
    return JSON.parse(ctx.body.toString("utf8"));
  } catch {
    throw new EmulatorError(400, "invalid JSON in request body");
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
