/**
 * `createRegistryClient`: what semfly asks an OCI registry (distribution spec): does a manifest exist by
 * digest, what labels does an image's config blob carry, and (for `deploy --push`) copy an image into
 * registry.fly.io. Answers are facts (`found`, `missing`) or `unreachable` with the reason: a caller must
 * be able to tell "the registry says no" from "nobody could say".
 */
import type { Dispatcher } from "undici";
import { registerSecret, SemflyError } from "../errors.js";
import { stripTokenScheme } from "../fly/config.js";
import { copyImageTo } from "./copy.js";
import {
  type DockerConfigOptions,
  dockerCredentials,
  type RegistryCredentials,
} from "./docker-config.js";
import {
  INDEX_TYPES,
  MANIFEST_ACCEPT,
  type ManifestDoc,
  parseJson,
  pullScope,
} from "./manifest-doc.js";
import { FLY_REGISTRY_HOST, parseRegistryReference, type RegistryReference } from "./reference.js";
import { type RegistryResponse, RegistryTransport } from "./transport.js";

/** Fly machines run linux/amd64: that is the manifest of an index they pull. */
export const FLY_MACHINE_PLATFORM = { os: "linux", architecture: "amd64" } as const;

export type ManifestAnswer =
  | { status: "found"; digest: string; mediaType: string; platformDigest?: string }
  | { status: "missing"; detail: string }
  | { status: "unreachable"; reason: string };

export interface RegistryClientOptions {
  /** The Fly token: registry.fly.io takes it as Basic `x:<token>` (without its `FlyV1 ` prefix). */
  flyToken?: string | null | undefined;
  /** `SEMFLY_REGISTRY_URL` (see reference.ts). */
  baseUrl?: string | undefined;
  /** Where docker's config.json is looked for (DOCKER_CONFIG, HOME) and how helpers run. */
  dockerConfig?: DockerConfigOptions;
  dispatcher?: Dispatcher | undefined;
  timeoutMs?: number;
  userAgent?: string;
  debug?: ((line: string) => void) | undefined;
  /** Labels by digest; a digest names one image forever, so nothing ever expires. Default: in memory. */
  labelCache?: Map<string, Record<string, string>>;
}

export interface RegistryClient {
  /** HEAD the manifest; an index is followed to the platform manifest Fly machines run. */
  checkDigest(ref: string, digest: string, options?: RegistryCallOptions): Promise<ManifestAnswer>;
  /** Resolve a tag (or digest) to the digest the registry serves. */
  resolve(
    ref: string,
    options?: RegistryCallOptions & { anonymous?: boolean },
  ): Promise<ManifestAnswer>;
  /** The image's OCI labels from its config blob; null when the registry cannot say. Cached by digest. */
  labelsForDigest(
    ref: string,
    digest: string,
    options?: RegistryCallOptions,
  ): Promise<Record<string, string> | null>;
  /** Copy an image (its Fly platform manifest) to `target` in another repository: blobs, then the manifest. */
  copyImage(
    source: string,
    target: string,
    options?: RegistryCallOptions,
  ): Promise<{ digest: string }>;
}

export interface RegistryCallOptions {
  signal?: AbortSignal | undefined;
}

function refusal(response: RegistryResponse, ref: RegistryReference): string {
  if (response.status === 401 && response.credentials === "refused")
    return `${ref.apiHost} refused the credentials for ${ref.repository} (HTTP 401)`;
  if (response.status === 401 && response.credentials === "accepted")
    return `${ref.apiHost} denied access to ${ref.repository} with the credentials given (HTTP 401)`;
  if (response.status === 401)
    return `${ref.apiHost} wants credentials for ${ref.repository} (HTTP 401)`;
  if (response.status === 403)
    return `${ref.apiHost} refused access to ${ref.repository} (HTTP 403)`;
  return `${ref.apiHost} answered HTTP ${response.status}`;
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const flyToken = options.flyToken ? stripTokenScheme(options.flyToken) : null;
  if (flyToken) registerSecret(flyToken);
  const credentials = async (apiHost: string): Promise<RegistryCredentials | null> => {
    if (apiHost === FLY_REGISTRY_HOST && flyToken)
      return { kind: "basic", username: "x", password: flyToken };
    return dockerCredentials(apiHost, options.dockerConfig);
  };
  const transport = new RegistryTransport({
    dispatcher: options.dispatcher,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs ?? 15_000,
    userAgent: options.userAgent ?? "semfly",
    debug: options.debug,
    credentials,
  });
  const labelCache = options.labelCache ?? new Map<string, Record<string, string>>();

  const manifest = (
    ref: RegistryReference,
    reference: string,
    method: "GET" | "HEAD",
    o: RegistryCallOptions & { anonymous?: boolean } = {},
  ) =>
    transport.send({
      apiHost: ref.apiHost,
      method,
      path: `/v2/${ref.repository}/manifests/${reference}`,
      scope: pullScope(ref),
      headers: { accept: MANIFEST_ACCEPT },
      anonymous: o.anonymous,
      signal: o.signal,
    });

  /** Ask, and turn transport failures into `unreachable` rather than errors. */
  async function ask(
    ref: RegistryReference,
    reference: string,
    o: RegistryCallOptions & { anonymous?: boolean },
  ): Promise<ManifestAnswer> {
    let response: RegistryResponse;
    try {
      response = await manifest(ref, reference, "HEAD", o);
    } catch (error) {
      if (error instanceof SemflyError && error.code === "ABORTED") throw error;
      return {
        status: "unreachable",
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    if (response.status === 404)
      return {
        status: "missing",
        detail: `${ref.apiHost} has no manifest ${reference} in ${ref.repository} (HTTP 404)`,
      };
    if (response.status !== 200) return { status: "unreachable", reason: refusal(response, ref) };
    const digest =
      response.headers["docker-content-digest"] ??
      (reference.startsWith("sha256:") ? reference : "");
    const mediaType = (response.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
    return { status: "found", digest, mediaType };
  }

  /** For an index: the digest of the manifest Fly machines run, or why it cannot be named. */
  async function platformOf(
    ref: RegistryReference,
    digest: string,
    o: RegistryCallOptions,
  ): Promise<string | ManifestAnswer> {
    const response = await manifest(ref, digest, "GET", o).catch(
      (error: unknown) => error as Error,
    );
    if (response instanceof Error) return { status: "unreachable", reason: response.message };
    if (response.status !== 200) return { status: "unreachable", reason: refusal(response, ref) };
    const doc = parseJson<ManifestDoc>(response.body);
    const child = doc?.manifests?.find(
      (m) =>
        m.platform?.os === FLY_MACHINE_PLATFORM.os &&
        m.platform?.architecture === FLY_MACHINE_PLATFORM.architecture,
    );
    if (!child?.digest)
      return {
        status: "missing",
        detail: `${ref.apiHost}/${ref.repository}@${digest} has no linux/amd64 manifest`,
      };
    return child.digest;
  }

  async function checkDigest(
    refText: string,
    digest: string,
    o: RegistryCallOptions = {},
  ): Promise<ManifestAnswer> {
    const ref = parseRegistryReference(refText);
    const answer = await ask(ref, digest, o);
    if (answer.status !== "found" || !INDEX_TYPES.has(answer.mediaType)) return answer;
    const platform = await platformOf(ref, digest, o);
    if (typeof platform !== "string") return platform;
    const child = await ask(ref, platform, o);
    return child.status === "found"
      ? {
          status: "found",
          digest: answer.digest,
          mediaType: answer.mediaType,
          platformDigest: platform,
        }
      : child;
  }

  async function resolve(
    refText: string,
    o: RegistryCallOptions & { anonymous?: boolean } = {},
  ): Promise<ManifestAnswer> {
    const ref = parseRegistryReference(refText);
    return ask(ref, ref.digest ?? ref.tag ?? "latest", o);
  }

  /** The single-platform manifest for a reference: an index is followed to Fly's platform. */
  async function platformManifest(
    ref: RegistryReference,
    reference: string,
    o: RegistryCallOptions,
  ) {
    let response = await manifest(ref, reference, "GET", o);
    let doc = response.status === 200 ? parseJson<ManifestDoc>(response.body) : null;
    if (doc && (INDEX_TYPES.has(doc.mediaType ?? "") || doc.manifests)) {
      const child = await platformOf(
        ref,
        response.headers["docker-content-digest"] ?? reference,
        o,
      );
      if (typeof child !== "string") return null;
      response = await manifest(ref, child, "GET", o);
      doc = response.status === 200 ? parseJson<ManifestDoc>(response.body) : null;
    }
    return doc ? { doc, response } : null;
  }

  async function labelsForDigest(refText: string, digest: string, o: RegistryCallOptions = {}) {
    const cached = labelCache.get(digest);
    if (cached) return { ...cached };
    const ref = parseRegistryReference(refText);
    try {
      const found = await platformManifest(ref, digest, o);
      const configDigest = found?.doc.config?.digest;
      if (!configDigest) return null;
      const blob = await transport.send({
        apiHost: ref.apiHost,
        method: "GET",
        path: `/v2/${ref.repository}/blobs/${configDigest}`,
        scope: pullScope(ref),
        signal: o.signal,
      });
      if (blob.status !== 200) return null;
      const config = parseJson<{ config?: { Labels?: Record<string, unknown> | null } }>(blob.body);
      const labels: Record<string, string> = {};
      for (const [key, value] of Object.entries(config?.config?.Labels ?? {})) {
        if (typeof value === "string") labels[key] = value;
      }
      labelCache.set(digest, labels);
      return { ...labels };
    } catch (error) {
      if (error instanceof SemflyError && error.code === "ABORTED") throw error;
      return null;
    }
  }

  const copyImage = (source: string, target: string, o: RegistryCallOptions = {}) =>
    copyImageTo({ transport, platformManifest }, source, target, o);

  return { checkDigest, resolve, labelsForDigest, copyImage };
}
