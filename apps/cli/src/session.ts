/**
 * Who the CLI talks to and as whom: app, token and endpoints resolved as flyctl resolves them (flag → env →
 * ./fly.toml / ~/.fly/config.yml), and the clients made from them. Every rule it applies is core's; this
 * only feeds core the process's environment and flags.
 */
import type { FlyClient, RegistryClient, ReleaseCache, ResolvedAccessToken } from "@semfly/core";

export type CoreModule = typeof import("@semfly/core");

export interface Connection {
  core: CoreModule;
  app: string;
  client: FlyClient;
  /** Finished releases kept between runs (release data only, never a token); off with SEMFLY_NO_CACHE=1. */
  cache: ReleaseCache | undefined;
  /** The GraphQL endpoint: part of the cache key, so the emulator and Fly never share a cache. */
  endpoint: string;
  /** OCI registries: registry.fly.io with the Fly token, others with ~/.docker/config.json credentials. */
  registry: RegistryClient;
}

export interface SessionInput {
  flags: { app?: string | undefined; "access-token"?: string | undefined };
  env: NodeJS.ProcessEnv;
  userAgent: string;
  /** Receives every request line (unredacted: the caller redacts), only when debugging. */
  debug: ((line: string) => void) | undefined;
}

export interface Session {
  connection: Connection;
  /** Where the token came from: a refusal of a token from flyctl's config.yml is explained as an expiry. */
  token: ResolvedAccessToken | null;
}

export async function openSession(core: CoreModule, input: SessionInput): Promise<Session> {
  const { flags, env, userAgent, debug } = input;
  const endpoints = core.resolveEndpoints(env);
  const token = await core.resolveAccessToken({ flag: flags["access-token"], env });
  // Test and benchmark knobs for the emulator, read before anything is fetched: a bad value is bad input.
  const rateLimit = core.parseRateLimits(env.SEMFLY_RATE_LIMITS);
  const retry = core.parseRetryOptions(env.SEMFLY_RETRY);
  const client = core.createFlyClient({
    token: token?.token ?? "",
    ...endpoints,
    userAgent,
    debug,
    ...(Object.keys(rateLimit).length > 0 ? { rateLimit } : {}),
    ...(Object.keys(retry).length > 0 ? { retry } : {}),
  });
  const { app } = await core.resolveAppName({ flag: flags.app, env });
  const cache = env.SEMFLY_NO_CACHE
    ? undefined
    : core.createFileReleaseCache(core.defaultCacheDir(env));
  const registry = core.createRegistryClient({
    flyToken: token?.token,
    baseUrl: core.resolveRegistryBaseUrl(env),
    dockerConfig: { env },
    userAgent,
    debug,
  });
  return {
    connection: { core, app, client, cache, endpoint: endpoints.apiBaseUrl, registry },
    token,
  };
}
