/**
 * HTTP to OCI registries: undici over an injectable dispatcher, a per-request timeout, and the auth each
 * registry asks for. registry.fly.io gets Basic `x:<Fly token>` up front; any 401 is answered the way its
 * `WWW-Authenticate` asks: Basic with the credentials, or a Bearer token from the named realm (anonymous when
 * there are none). Debug lines carry method, URL and status only, redacted; no header is ever logged.
 */
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { redact, registerSecret, SemflyError } from "../errors.js";
import type { RegistryCredentials } from "./docker-config.js";

export interface RegistryTransportOptions {
  dispatcher?: Dispatcher | undefined;
  /** `SEMFLY_REGISTRY_URL`: requests go to `{baseUrl}/<host>/…` instead of `https://<host>/…`. */
  baseUrl?: string | undefined;
  timeoutMs: number;
  userAgent: string;
  debug?: ((line: string) => void) | undefined;
  /** Credentials for a registry API host (Fly's token for registry.fly.io, else docker's config). */
  credentials(apiHost: string): Promise<RegistryCredentials | null>;
}

export interface RegistryRequest {
  apiHost: string;
  method: "GET" | "HEAD" | "POST" | "PUT";
  /** `/v2/…`, or an absolute URL (an upload's Location). */
  path: string;
  /** `repository:<name>:pull` or `…:pull,push`, for the Bearer flow. */
  scope?: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable | undefined;
  /** Keep the body as a stream (blob copies). */
  stream?: boolean;
  /** Ask without credentials, to learn whether an image is public. */
  anonymous?: boolean;
  signal?: AbortSignal | undefined;
}

export interface RegistryResponse {
  status: number;
  url: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
  stream?: Readable;
  /** After a 401: whether there were credentials, and whether the registry (or its realm) took them. */
  credentials?: "none" | "refused" | "accepted";
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"`. */
export function parseChallenge(header: string | undefined): Challenge | null {
  const match = /^\s*(\w+)\s*(.*)$/.exec(header ?? "");
  if (!match?.[1]) return null;
  const params: Record<string, string> = {};
  for (const part of (match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)) {
    if (part[1]) params[part[1].toLowerCase()] = part[2] ?? "";
  }
  return { scheme: match[1].toLowerCase(), params };
}

type Undici = Pick<typeof import("undici"), "request" | "getGlobalDispatcher">;
let undici: Promise<Undici> | undefined;
const loadUndici = (): Promise<Undici> => {
  undici ??= import("undici").then((mod) =>
    typeof mod.request === "function" ? mod : (mod as unknown as { default: Undici }).default,
  );
  return undici;
};

function basicHeader(username: string, password: string): string {
  const header = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  registerSecret(header.slice(6));
  return header;
}

export function registryUnreachable(apiHost: string, detail: string, cause?: unknown): SemflyError {
  return new SemflyError({
    code: "REGISTRY_UNREACHABLE",
    message: `Could not reach ${apiHost}: ${detail}`,
    suggestion: "Check connectivity (and SEMFLY_REGISTRY_URL, if set).",
    operation: "ask the registry",
    cause,
  });
}

export class RegistryTransport {
  /** Authorization per host and scope, learned from challenges (tokens live minutes; a run lasts less). */
  private readonly auth = new Map<string, string>();

  constructor(private readonly options: RegistryTransportOptions) {}

  urlOf(apiHost: string, path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    const base = this.options.baseUrl ? `${this.options.baseUrl}/${apiHost}` : `https://${apiHost}`;
    return `${base}${path}`;
  }

  async send(req: RegistryRequest): Promise<RegistryResponse> {
    const key = `${req.anonymous ? "anon" : "auth"}|${req.apiHost}|${req.scope ?? ""}`;
    const authorization =
      this.auth.get(key) ?? (req.anonymous ? undefined : await this.upfront(req.apiHost));
    const first = await this.once(req, authorization);
    if (first.status !== 401 || (req.body !== undefined && !Buffer.isBuffer(req.body)))
      return first;
    first.stream?.destroy();
    const sent = authorization;
    const answered = await this.answer(req, parseChallenge(first.headers["www-authenticate"]));
    // Nothing new to send (no credentials, a realm that refused them, the same Basic again): that is the answer.
    if (!answered.authorization || answered.authorization === sent) {
      const credentials = answered.credentials === "accepted" ? "refused" : answered.credentials;
      return { ...first, credentials };
    }
    this.auth.set(key, answered.authorization);
    const second = await this.once(req, answered.authorization);
    return second.status === 401 ? { ...second, credentials: answered.credentials } : second;
  }

  /** Fly's registry takes Basic `x:<token>` directly: no challenge round trip. */
  private async upfront(apiHost: string): Promise<string | undefined> {
    if (apiHost !== "registry.fly.io") return undefined;
    const credentials = await this.options.credentials(apiHost);
    return credentials?.kind === "basic"
      ? basicHeader(credentials.username, credentials.password)
      : undefined;
  }

  private async answer(
    req: RegistryRequest,
    challenge: Challenge | null,
  ): Promise<{ authorization?: string; credentials: "none" | "refused" | "accepted" }> {
    const credentials = req.anonymous ? null : await this.options.credentials(req.apiHost);
    const had = credentials ? ("accepted" as const) : ("none" as const);
    if (!challenge) return { credentials: had };
    if (challenge.scheme === "basic") {
      return credentials?.kind === "basic"
        ? {
            authorization: basicHeader(credentials.username, credentials.password),
            credentials: had,
          }
        : { credentials: had };
    }
    if (challenge.scheme !== "bearer" || !challenge.params.realm) return { credentials: had };
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
    const scope = req.scope ?? challenge.params.scope;
    if (scope) realm.searchParams.set("scope", scope);
    const tokenRequest: RegistryRequest = {
      apiHost: realm.host,
      method: "GET",
      path: realm.toString(),
      signal: req.signal,
    };
    let response: RegistryResponse;
    if (credentials?.kind === "identity-token") {
      // OAuth2 refresh-token grant, as docker sends an identity token.
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: credentials.token,
        client_id: "semfly",
      });
      if (challenge.params.service) form.set("service", challenge.params.service);
      if (scope) form.set("scope", scope);
      response = await this.once(
        {
          ...tokenRequest,
          method: "POST",
          path: challenge.params.realm,
          body: Buffer.from(form.toString()),
          headers: { "content-type": "application/x-www-form-urlencoded" },
        },
        undefined,
      );
    } else {
      const basic =
        credentials?.kind === "basic"
          ? basicHeader(credentials.username, credentials.password)
          : undefined;
      response = await this.once(tokenRequest, basic);
    }
    if (response.status !== 200) return { credentials: credentials ? "refused" : "none" };
    try {
      const doc = JSON.parse(response.body.toString("utf8")) as {
        token?: unknown;
        access_token?: unknown;
      };
      const token = typeof doc.token === "string" ? doc.token : doc.access_token;
      if (typeof token !== "string" || !token) return { credentials: had };
      registerSecret(token);
      return { authorization: `Bearer ${token}`, credentials: had };
    } catch {
      return { credentials: had };
    }
  }

  private async once(
    req: RegistryRequest,
    authorization: string | undefined,
  ): Promise<RegistryResponse> {
    const url = this.urlOf(req.apiHost, req.path);
    const timer = new AbortController();
    const handle = setTimeout(() => timer.abort(), this.options.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timer.signal]) : timer.signal;
    const started = performance.now();
    const headers: Record<string, string> = {
      "user-agent": this.options.userAgent,
      ...req.headers,
    };
    if (authorization) headers.authorization = authorization;
    try {
      const { request, getGlobalDispatcher } = await loadUndici();
      const res = await request(url, {
        method: req.method,
        headers,
        body: req.body,
        dispatcher: this.options.dispatcher ?? getGlobalDispatcher(),
        signal,
      });
      const flat: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
      }
      this.log(
        `${req.method} ${url} → ${res.statusCode} in ${Math.round(performance.now() - started)}ms`,
      );
      if (req.stream && res.statusCode === 200) {
        return {
          status: res.statusCode,
          url,
          headers: flat,
          body: Buffer.alloc(0),
          stream: res.body,
        };
      }
      const body =
        req.method === "HEAD" ? Buffer.alloc(0) : Buffer.from(await res.body.arrayBuffer());
      if (req.method === "HEAD") res.body.resume();
      return { status: res.statusCode, url, headers: flat, body };
    } catch (error) {
      if (req.signal?.aborted)
        throw new SemflyError({
          code: "ABORTED",
          message: "Cancelled while asking the registry.",
          cause: error,
        });
      const detail = timer.signal.aborted
        ? `no answer within ${this.options.timeoutMs}ms`
        : String((error as { code?: unknown }).code ?? (error as Error).message);
      this.log(`${req.method} ${url} failed: ${detail}`);
      throw registryUnreachable(req.apiHost, detail, error);
    } finally {
      clearTimeout(handle);
    }
  }

  private log(line: string): void {
    this.options.debug?.(redact(line));
  }
}
