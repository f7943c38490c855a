/**
 * Where to find Fly and who we are: endpoints, token and app name, resolved the way flyctl does so that a
 * shell already set up for `fly` works for semfly unchanged.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { inputError, quote, registerSecret, SemflyError } from "../errors.js";

type Env = Record<string, string | undefined>;

export interface FlyEndpoints {
  /** GraphQL API base; queries go to `{apiBaseUrl}/graphql`. */
  apiBaseUrl: string;
  /** Machines API ("flaps") base; paths go under `{flapsBaseUrl}/v1`. */
  flapsBaseUrl: string;
  /** Release REST API ("uiex") base; paths go under `{uiexBaseUrl}/api/v1`. */
  uiexBaseUrl: string;
  /** Fly's Prometheus API base (flyctl's `FLY_METRICS_BASE_URL`); queries go to `{base}/prometheus/{org}`. */
  metricsBaseUrl: string;
}

export const DEFAULT_ENDPOINTS: FlyEndpoints = {
  apiBaseUrl: "https://api.fly.io",
  flapsBaseUrl: "https://api.machines.dev",
  uiexBaseUrl: "https://api.fly.io",
  metricsBaseUrl: "https://api.fly.io",
};

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Validate a base URL and drop trailing slashes so paths can be appended with a single `/`. */
export function normalizeBaseUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw inputError(
      "INVALID_BASE_URL",
      `${source} is not a valid URL: ${quote(value)}`,
      "Use an absolute http(s) URL.",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw inputError(
      "INVALID_BASE_URL",
      `${source} must be an http(s) URL: ${quote(value)}`,
      "Use an absolute http(s) URL.",
    );
  }
  return value.replace(/\/+$/, "");
}

export function resolveEndpoints(env: Env = process.env): FlyEndpoints {
  const pick = (name: string, fallback: string) => {
    const value = nonEmpty(env[name]);
    return value === undefined ? fallback : normalizeBaseUrl(value, name);
  };
  return {
    apiBaseUrl: pick("FLY_API_BASE_URL", DEFAULT_ENDPOINTS.apiBaseUrl),
    flapsBaseUrl: pick("FLY_FLAPS_BASE_URL", DEFAULT_ENDPOINTS.flapsBaseUrl),
    uiexBaseUrl: pick("FLY_UIEX_BASE_URL", DEFAULT_ENDPOINTS.uiexBaseUrl),
    metricsBaseUrl: pick("FLY_METRICS_BASE_URL", DEFAULT_ENDPOINTS.metricsBaseUrl),
  };
}

export type AccessTokenSource = "flag" | "FLY_ACCESS_TOKEN" | "FLY_API_TOKEN" | "config";

export interface ResolvedAccessToken {
  token: string;
  source: AccessTokenSource;
  /** The config.yml the token was read from, when `source` is "config". */
  file?: string | undefined;
}

export interface ResolveAccessTokenOptions {
  flag?: string | undefined;
  env?: Env | undefined;
  /** The home directory holding `.fly/`, when FLY_CONFIG_DIR is not set; defaults to the user's. */
  homeDir?: string | undefined;
}

/**
 * flyctl's config directory (helpers.GetConfigDirectory): FLY_CONFIG_DIR, else `~/.fly`. flyctl also takes
 * an empty FLY_CONFIG_DIR, which would make it read `./config.yml`; here an empty value counts as unset, so
 * a config.yml in a cloned repository can never supply the token.
 */
export function flyConfigDir(env: Env = process.env, homeDir: string = homedir()): string {
  const dir = nonEmpty(env.FLY_CONFIG_DIR);
  return dir ? resolve(dir) : join(homeDir, ".fly");
}

/** `config.yml` in flyctl's config directory, where `fly auth login` stores `access_token`. */
export function flyConfigPath(env: Env = process.env, homeDir: string = homedir()): string {
  return join(flyConfigDir(env, homeDir), "config.yml");
}

async function readConfigToken(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw inputError(
      "FLY_CONFIG_UNREADABLE",
      `Cannot read ${file}`,
      "Check the file's permissions.",
    );
  }
  const { tokenFromConfigYaml } = await import("./config-file.js");
  return tokenFromConfigYaml(text, file);
}

/**
 * flyctl's precedence: --access-token, FLY_ACCESS_TOKEN, FLY_API_TOKEN, then `access_token` in config.yml
 * (in FLY_CONFIG_DIR, else ~/.fly).
 */
export async function resolveAccessToken(
  options: ResolveAccessTokenOptions = {},
): Promise<ResolvedAccessToken | null> {
  const env = options.env ?? process.env;
  // An empty flag is a slip (a CI secret that is not set): falling back to another token would act as
  // someone else, so it is refused. Empty variables count as unset, as flyctl reads them.
  if (options.flag !== undefined && !nonEmpty(options.flag)) {
    throw inputError(
      "EMPTY_ACCESS_TOKEN",
      "--access-token was given an empty value.",
      "Pass the token (or leave the flag out to use FLY_ACCESS_TOKEN, FLY_API_TOKEN or `fly auth login`).",
    );
  }
  const found = ((): ResolvedAccessToken | undefined => {
    const flag = nonEmpty(options.flag);
    if (flag) return { token: flag, source: "flag" };
    const access = nonEmpty(env.FLY_ACCESS_TOKEN);
    if (access) return { token: access, source: "FLY_ACCESS_TOKEN" };
    const api = nonEmpty(env.FLY_API_TOKEN);
    if (api) return { token: api, source: "FLY_API_TOKEN" };
    return undefined;
  })();
  const file = flyConfigPath(env, options.homeDir);
  const resolved =
    found ??
    (await readConfigToken(file).then((token) =>
      token ? { token, source: "config" as const, file } : undefined,
    ));
  if (!resolved) return null;
  registerSecret(resolved.token);
  // A line break or control character inside a token (a pasted secret) would only fail later, as a
  // network error: say what it is, without showing it.
  if ([...resolved.token].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw inputError(
      "MALFORMED_ACCESS_TOKEN",
      `The token from ${resolved.source === "flag" ? "--access-token" : resolved.source === "config" ? (resolved.file ?? "config.yml") : resolved.source} contains a line break or control character.`,
      "Copy it again (`fly auth token`), without the line breaks.",
    );
  }
  return resolved;
}

/**
 * Fly refusing a token that `fly auth login` saved most often means the login expired: say so, and how to
 * get a fresh one. Any other error, or a token from elsewhere, is returned as it is.
 */
export function explainTokenRejection(error: unknown, token: ResolvedAccessToken | null): unknown {
  if (!(error instanceof SemflyError) || error.code !== "UNAUTHORIZED") return error;
  if (token?.source !== "config") return error;
  return new SemflyError({
    code: error.code,
    kind: error.kind,
    message: `${error.message}: the token from ${token.file ?? "flyctl's config.yml"} may have expired`,
    suggestion:
      "Run `fly auth login` to refresh it (`fly auth token` prints the token it saved), or set FLY_API_TOKEN.",
    status: error.status,
    flyCode: error.flyCode,
    requestId: error.requestId,
    operation: error.operation,
    cause: error,
  });
}

const SCHEME_PREFIX = /^(?:bearer|flyv1)\s+/i;

/** The bare token list: flyctl accepts tokens pasted with their `Bearer `/`FlyV1 ` scheme. */
export function stripTokenScheme(token: string): string {
  return token.trim().replace(SCHEME_PREFIX, "");
}

/** fly-go's rule: a comma part whose prefix before the first `_` is fm1r, fm1a or fm2 is a macaroon. */
export function isMacaroon(part: string): boolean {
  const prefix = part.split("_", 1)[0];
  return prefix === "fm1r" || prefix === "fm1a" || prefix === "fm2";
}

/**
 * The Authorization header for a token.
 * - "graphql" (default): every token part, `FlyV1` when any is a macaroon, else `Bearer` (fly-go GraphQLHeader).
 * - "machines": macaroons only when there are any (fly-go FlapsHeader), same scheme rule.
 * - "releases": flyctl's release REST calls always send `Bearer ` + the whole token string.
 */
export function authorizationHeader(
  token: string,
  service: "graphql" | "machines" | "releases" = "graphql",
): string {
  const bare = stripTokenScheme(token);
  if (service === "releases") return `Bearer ${bare}`;
  const parts = bare
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  const macaroons = parts.filter(isMacaroon);
  if (macaroons.length === 0) return `Bearer ${bare}`;
  const sent =
    service === "machines" ? macaroons : [...macaroons, ...parts.filter((p) => !isMacaroon(p))];
  return `FlyV1 ${sent.join(",")}`;
}

const APP_SUGGESTION =
  "Pass --app <name>, set FLY_APP, or run semfly next to a fly.toml that names the app.";

export function readAppNameFromFlyToml(text: string, fileName: string): string {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const first = ((error as Error).message ?? "").split("\n", 1)[0];
    throw inputError("FLY_TOML_INVALID", `${fileName} is not valid TOML: ${first}`, APP_SUGGESTION);
  }
  const app = doc.app;
  if (typeof app !== "string" || app.trim() === "") {
    throw inputError("APP_NAME_MISSING", `${fileName} does not set \`app\``, APP_SUGGESTION);
  }
  return app.trim();
}

export type AppNameSource = "flag" | "FLY_APP" | "fly.toml";

export interface ResolvedAppName {
  app: string;
  source: AppNameSource;
}

export interface ResolveAppNameOptions {
  flag?: string | undefined;
  env?: Env | undefined;
  /** Directory holding fly.toml; defaults to the process's working directory. */
  cwd?: string | undefined;
}

/** flyctl's precedence: --app, FLY_APP, then `app` in ./fly.toml. */
export async function resolveAppName(
  options: ResolveAppNameOptions = {},
): Promise<ResolvedAppName> {
  const flag = nonEmpty(options.flag);
  if (flag) return { app: checkAppName(flag, "--app"), source: "flag" };
  const fromEnv = nonEmpty((options.env ?? process.env).FLY_APP);
  if (fromEnv) return { app: checkAppName(fromEnv, "FLY_APP"), source: "FLY_APP" };
  const file = join(options.cwd ?? process.cwd(), "fly.toml");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw inputError(
        "APP_NAME_MISSING",
        "No Fly app given and no fly.toml found",
        APP_SUGGESTION,
      );
    }
    throw inputError("FLY_TOML_UNREADABLE", `Cannot read ${file}`, APP_SUGGESTION);
  }
  return { app: checkAppName(readAppNameFromFlyToml(text, file), file), source: "fly.toml" };
}

/**
 * An app name goes into URL paths and GraphQL variables: one with a space, a slash or a question mark can
 * only be a slip, and sent as is it could name another path. Which other characters Fly allows is not
 * settled here, so capitals and underscores pass: a name Fly does not know costs one 404, not a change.
 */
export function checkAppName(name: string, source: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) return name;
  throw inputError(
    "INVALID_APP_NAME",
    `${quote(name)} (from ${source}) is not a Fly app name: app names are letters, digits and dashes.`,
    "Check the name with `fly apps list`.",
  );
}
