import { afterEach } from "vitest";
import { type Emulator, type EmulatorOptions, startEmulator } from "../src/index.js";

const running: Emulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

/** Starts an emulator with fast machines and no rate limits (unless asked), closed after each test. */
export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator({
    bootTimeMs: 20,
    checkDelayMs: 20,
    rateLimits: false,
    ...options,
  });
  running.push(emulator);
  return emulator;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** `null` sends no Authorization header. Default: `FlyV1 <emulator.token>`. */
  auth?: string | null;
}

export interface CallResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the emulator over real HTTP and parses a JSON body (text when not JSON; null when empty). */
export async function call<T = unknown>(
  emulator: Emulator,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const auth = options.auth === undefined ? `FlyV1 ${emulator.token}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = null;
  if (text !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

export interface GraphqlResult<T = Record<string, unknown>> {
  status: number;
  data: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string } }>;
}

export async function gql<T = Record<string, unknown>>(
  emulator: Emulator,
  query: string,
  variables: Record<string, unknown> = {},
  options: Omit<CallOptions, "body"> = {},
): Promise<GraphqlResult<T>> {
  const result = await call<{ data?: T | null; errors?: GraphqlResult["errors"] }>(
    emulator,
    "POST",
    "/graphql",
    {
      ...options,
      body: { query, variables },
    },
  );
  return { status: result.status, data: result.body.data ?? null, errors: result.body.errors };
}

export const APP = "acme-web";
/** Demo machine ids. */
export const DEMO_APP_MACHINE = "e784079b449483";
export const DEMO_WORKER_MACHINE = "148e272f6d4d89";
export const machinePath = (id: string, suffix = "") => `/v1/apps/${APP}/machines/${id}${suffix}`;

export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
