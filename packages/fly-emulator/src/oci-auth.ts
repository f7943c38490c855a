/**
 * Who may pull what from the emulated registries: registry.fly.io takes Basic `x:<token>` with any accepted
 * token; the others run the Bearer realm flow (anonymous tokens for public repositories, Basic credentials at
 * the realm for private ones; 401 with a challenge otherwise, for private and missing repositories alike).
 */
import { randomUUID } from "node:crypto";
import { type RequestContext, sendJson } from "./http.js";
import type { RegistryImage } from "./oci-documents.js";
import type { EmulatorState } from "./state.js";

export const OCI_PATH_PREFIX = "/oci/";
export const FLY_REGISTRY = "registry.fly.io";
export const DOCKER_HUB = "registry-1.docker.io";
/** Realm and service per external registry, as the real ones name them. */
const REALMS: Record<string, { realm: string; service: string }> = {
  [DOCKER_HUB]: { realm: "auth.docker.io/token", service: "registry.docker.io" },
  "ghcr.io": { realm: "ghcr.io/token", service: "ghcr.io" },
};

/** The registry whose realm a path (`auth.docker.io/token`) is, or null. */
export function realmHost(hostAndPath: string): string | null {
  return Object.entries(REALMS).find(([, r]) => r.realm === hostAndPath)?.[0] ?? null;
}

interface Grant {
  host: string;
  /** Repositories this bearer token may pull. */
  pull: Set<string>;
}

export function ociError(
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  sendJson(ctx.res, status, { errors: [{ code, message, detail: null }] }, headers);
}

export class RegistryAuth {
  private readonly credentials = new Map<string, Array<{ username: string; password: string }>>();
  private readonly grants = new Map<string, Grant>();

  constructor(
    private readonly state: EmulatorState,
    private readonly imagesOf: (host: string, repository: string) => RegistryImage[],
  ) {}

  addCredentials(host: string, credentials: Array<{ username: string; password: string }>): void {
    this.credentials.set(host, [...(this.credentials.get(host) ?? []), ...credentials]);
  }

  private flyUser(header: string | undefined): string | null {
    const match = /^basic\s+(.+)$/i.exec(header?.trim() ?? "");
    if (!match?.[1]) return null;
    const decoded = Buffer.from(match[1], "base64").toString("utf8");
    const password = decoded.slice(decoded.indexOf(":") + 1);
    for (const part of password.split(",")) {
      const user = this.state.tokens.get(part.trim());
      if (user) return user;
    }
    return null;
  }

  private challenge(
    ctx: RequestContext,
    host: string,
    scope: string | null,
  ): Record<string, string> {
    if (host === FLY_REGISTRY) return { "www-authenticate": `Basic realm="${FLY_REGISTRY}"` };
    const realm = REALMS[host] ?? { realm: `${host}/token`, service: host };
    const origin = `http://${ctx.req.headers.host ?? "127.0.0.1"}${OCI_PATH_PREFIX}`;
    const scoped = scope ? `,scope="${scope}"` : "";
    return {
      "www-authenticate": `Bearer realm="${origin}${realm.realm}",service="${realm.service}"${scoped}`,
    };
  }

  ping(ctx: RequestContext, host: string): void {
    const authorized =
      host === FLY_REGISTRY
        ? this.flyUser(ctx.req.headers.authorization) !== null
        : this.grantOf(ctx, host) !== null;
    if (authorized) sendJson(ctx.res, 200, {});
    else
      ociError(
        ctx,
        401,
        "UNAUTHORIZED",
        "authentication required",
        this.challenge(ctx, host, null),
      );
  }

  private grantOf(ctx: RequestContext, host: string): Grant | null {
    const match = /^bearer\s+(.+)$/i.exec(ctx.req.headers.authorization?.trim() ?? "");
    const grant = match?.[1] ? this.grants.get(match[1]) : undefined;
    return grant && grant.host === host ? grant : null;
  }

  withAccess(
    ctx: RequestContext,
    host: string,
    repository: string,
    action: "pull" | "push",
    handle: () => void,
  ): void {
    const scope = `repository:${repository}:${action === "pull" ? "pull" : "pull,push"}`;
    if (host === FLY_REGISTRY) {
      if (this.flyUser(ctx.req.headers.authorization)) {
        handle();
        return;
      }
      ociError(
        ctx,
        401,
        "UNAUTHORIZED",
        "authentication required",
        this.challenge(ctx, host, scope),
      );
      return;
    }
    const grant = this.grantOf(ctx, host);
    if (grant?.pull.has(repository) && action === "pull") {
      handle();
      return;
    }
    const detail = [{ Type: "repository", Name: repository, Action: action }];
    sendJson(
      ctx.res,
      401,
      { errors: [{ code: "UNAUTHORIZED", message: "authentication required", detail }] },
      this.challenge(ctx, host, scope),
    );
  }

  /** The realm: anonymous tokens pull public repositories; valid Basic credentials pull private ones too. */
  issueToken(ctx: RequestContext, host: string, query: URLSearchParams): void {
    const header = ctx.req.headers.authorization;
    let authenticated = false;
    if (header) {
      const match = /^basic\s+(.+)$/i.exec(header.trim());
      const decoded = match?.[1] ? Buffer.from(match[1], "base64").toString("utf8") : "";
      const colon = decoded.indexOf(":");
      const username = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      authenticated = (this.credentials.get(host) ?? []).some(
        (c) => c.username === username && c.password === password,
      );
      if (!authenticated) {
        sendJson(ctx.res, 401, { details: "incorrect username or password" });
        return;
      }
    }
    const pull = new Set<string>();
    for (const scope of query.getAll("scope")) {
      const [type, repository] = scope.split(":");
      if (type !== "repository" || !repository) continue;
      const images = this.imagesOf(host, repository);
      if (images.length === 0 && !authenticated) continue;
      if (authenticated || images.every((i) => !i.private)) pull.add(repository);
    }
    const token = `emu_${randomUUID().replaceAll("-", "")}`;
    this.grants.set(token, { host, pull });
    sendJson(ctx.res, 200, {
      token,
      access_token: token,
      expires_in: 300,
      issued_at: this.state.nowIso(),
    });
  }
}
