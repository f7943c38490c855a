/**
 * Registry credentials where docker keeps them: `$DOCKER_CONFIG/config.json` (default `~/.docker`), its
 * `credHelpers` (per registry) and `credsStore` (for all), run as docker runs them
 * (`docker-credential-<name> get`, the server URL on stdin, `{ServerURL, Username, Secret}` on stdout), then
 * `auths` (base64 `user:password`, in the standard or the URL-safe alphabet: `fly auth docker` has written both).
 * Every secret found is registered for redaction before it leaves this file.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { registerSecret } from "../errors.js";
import { credentialKey, credentialKeyHost } from "./reference.js";

export type RegistryCredentials =
  | { kind: "basic"; username: string; password: string }
  /** A refresh token for the realm's OAuth2 endpoint (what `docker login` stores for Docker Hub SSO). */
  | { kind: "identity-token"; token: string };

export interface DockerConfigOptions {
  /** DOCKER_CONFIG, and the environment (PATH) a credential helper runs in. */
  env?: Record<string, string | undefined>;
  homeDir?: string;
  /** Answer of a credential helper; defaults to spawning `docker-credential-<name>` from PATH. */
  runHelper?: (helper: string, serverUrl: string) => Promise<string | null>;
  /** How long a helper may take (a keychain prompt may wait on the user). Default 20 s. */
  helperTimeoutMs?: number;
}

interface DockerConfigFile {
  auths?: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string }
  >;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export function dockerConfigPath(options: DockerConfigOptions = {}): string {
  const env = options.env ?? process.env;
  const dir =
    env.DOCKER_CONFIG?.trim() ||
    join(options.homeDir ?? (env.HOME?.trim() || homedir()), ".docker");
  return join(dir, "config.json");
}

async function readConfig(file: string): Promise<DockerConfigFile | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return null;
  }
  try {
    const doc = JSON.parse(text) as unknown;
    return typeof doc === "object" && doc !== null ? (doc as DockerConfigFile) : null;
  } catch {
    // The parser's message may quote a credential: an unreadable file is no credentials, said nowhere.
    return null;
  }
}

/** `user:password` in base64; the URL-safe alphabet (`-`, `_`, no padding) is read too. */
export function decodeAuth(auth: string): { username: string; password: string } | null {
  const standard = auth.trim().replace(/-/g, "+").replace(/_/g, "/");
  const decoded = Buffer.from(standard, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  return {
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1).replace(/\0+$/, ""),
  };
}

function fromAuthEntry(
  entry: NonNullable<DockerConfigFile["auths"]>[string],
): RegistryCredentials | null {
  if (entry.identitytoken) return { kind: "identity-token", token: entry.identitytoken };
  if (entry.auth) {
    const pair = decodeAuth(entry.auth);
    if (pair) return { kind: "basic", ...pair };
  }
  if (entry.username && entry.password) {
    return { kind: "basic", username: entry.username, password: entry.password };
  }
  return null;
}

/** docker's helper protocol: `get`, the server URL on stdin; exit non-zero with "credentials not found" when none. */
function spawnHelper(timeoutMs: number, env: Record<string, string | undefined>) {
  return (helper: string, serverUrl: string): Promise<string | null> =>
    new Promise((resolve) => {
      const child = spawn(`docker-credential-${helper}`, ["get"], {
        stdio: ["pipe", "pipe", "ignore"],
        timeout: timeoutMs,
        env,
      });
      const chunks: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
      child.on("error", () => resolve(null));
      child.on("close", (code) =>
        resolve(code === 0 ? Buffer.concat(chunks).toString("utf8") : null),
      );
      child.stdin.on("error", () => undefined);
      child.stdin.end(serverUrl);
    });
}

function fromHelperOutput(text: string | null): RegistryCredentials | null {
  if (!text) return null;
  let doc: { Username?: unknown; Secret?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return null;
  }
  if (typeof doc.Secret !== "string" || !doc.Secret) return null;
  // docker's convention: the user name `<token>` marks the secret as an identity token.
  if (doc.Username === "<token>") return { kind: "identity-token", token: doc.Secret };
  return { kind: "basic", username: String(doc.Username ?? ""), password: doc.Secret };
}

/** The credentials docker would use for a registry API host, or null. */
export async function dockerCredentials(
  apiHost: string,
  options: DockerConfigOptions = {},
): Promise<RegistryCredentials | null> {
  const config = await readConfig(dockerConfigPath(options));
  if (!config) return null;
  const key = credentialKey(apiHost);
  const matches = (k: string) => k === key || credentialKeyHost(k) === apiHost;
  const helperKey = Object.keys(config.credHelpers ?? {}).find(matches);
  const helper = helperKey ? config.credHelpers?.[helperKey] : config.credsStore;
  let found: RegistryCredentials | null = null;
  if (helper) {
    const run =
      options.runHelper ??
      spawnHelper(options.helperTimeoutMs ?? 20_000, options.env ?? process.env);
    found = fromHelperOutput(await run(helper, helperKey ?? key));
  }
  if (!found) {
    const auths = config.auths ?? {};
    const authKey = key in auths ? key : Object.keys(auths).find(matches);
    const entry = authKey ? auths[authKey] : undefined;
    found = entry ? fromAuthEntry(entry) : null;
  }
  if (found?.kind === "basic") registerSecret(found.password);
  if (found?.kind === "identity-token") registerSecret(found.token);
  return found;
}
