/**
 * Image references as registries see them: which host serves the distribution API, which repository, and
 * which key `~/.docker/config.json` files its credentials under. `versions/image-ref.ts` keeps the parts a
 * version needs (name, tag, digest); this adds the registry's side.
 */
import { inputError } from "../errors.js";
import { normalizeBaseUrl } from "../fly/config.js";
import { parseImageReference } from "../versions/image-ref.js";

export const FLY_REGISTRY_HOST = "registry.fly.io";
/** Where Fly machines pull public Docker Hub images from; the repository stays Docker Hub's. */
export const FLY_DOCKER_HUB_MIRROR = "docker-hub-mirror.fly.io";
/** The distribution API host behind every Docker Hub name (docker.io, index.docker.io, Fly's mirror). */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
/** The key docker itself files Docker Hub credentials under. */
export const DOCKER_HUB_CREDENTIAL_KEY = "https://index.docker.io/v1/";
const DOCKER_HUB_NAMES = new Set([
  "docker.io",
  "index.docker.io",
  DOCKER_HUB_API_HOST,
  FLY_DOCKER_HUB_MIRROR,
]);

export interface RegistryReference {
  /** The registry as written: `registry.fly.io`, `docker-hub-mirror.fly.io`, `docker.io`, `ghcr.io`. */
  registry: string;
  /** The host semfly sends distribution API requests to. */
  apiHost: string;
  /** `acme-web`, `library/nginx`, `acme/web`. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

/** `nginx:1.27` → Docker Hub `library/nginx`; a first part with a dot, a colon or `localhost` is a registry. */
export function parseRegistryReference(ref: string): RegistryReference {
  const { name, tag, digest } = parseImageReference(ref);
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  const registry = hasRegistry ? first : "docker.io";
  let repository = hasRegistry ? name.slice(slash + 1) : name;
  const apiHost = DOCKER_HUB_NAMES.has(registry) ? DOCKER_HUB_API_HOST : registry;
  if (apiHost === DOCKER_HUB_API_HOST && !repository.includes("/")) {
    repository = `library/${repository}`;
  }
  if (!repository) {
    throw inputError(
      "INVALID_IMAGE_REF",
      `"${ref}" names no repository.`,
      "Write it as host/repository:tag.",
    );
  }
  return { registry, apiHost, repository, tag, digest };
}

export function isFlyRegistry(ref: RegistryReference): boolean {
  return ref.apiHost === FLY_REGISTRY_HOST;
}

export function isDockerHub(ref: RegistryReference): boolean {
  return ref.apiHost === DOCKER_HUB_API_HOST;
}

/** The `auths`/`credHelpers` key docker uses for a registry (and sends a credential helper on stdin). */
export function credentialKey(apiHost: string): string {
  return apiHost === DOCKER_HUB_API_HOST ? DOCKER_HUB_CREDENTIAL_KEY : apiHost;
}

/** A config.json key reduced to its host, as docker compares them (`https://ghcr.io/v2/` → `ghcr.io`). */
export function credentialKeyHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, "").split("/")[0] ?? "";
  return DOCKER_HUB_NAMES.has(host) ? DOCKER_HUB_API_HOST : host;
}

/**
 * `SEMFLY_REGISTRY_URL` (semfly's own setting, for the emulator and tests): every registry request goes to
 * `{SEMFLY_REGISTRY_URL}/<api host>/v2/…` instead of `https://<api host>/v2/…`.
 */
export function resolveRegistryBaseUrl(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const value = env.SEMFLY_REGISTRY_URL?.trim();
  return value ? normalizeBaseUrl(value, "SEMFLY_REGISTRY_URL") : undefined;
}
