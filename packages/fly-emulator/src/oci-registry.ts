/**
 * OCI distribution registries on the emulator's one port, under `/oci/<registry host>/v2/…`:
 * - `registry.fly.io`: the apps' registry tables (what `app.image` and the machines see), Basic auth
 *   `x:<Fly token>` as `fly auth docker` writes it; an unauthenticated call gets 401 whether or not the image
 *   exists (REAL-BEHAVIOUR.md §10).
 * - external registries (`registry-1.docker.io`, the API host behind `docker.io` and
 *   `docker-hub-mirror.fly.io`, and `ghcr.io` by default): the Bearer flow, a token from the realm named in
 *   `WWW-Authenticate`, anonymous for public repositories, Basic credentials for private ones. As Docker Hub
 *   does, an anonymous caller gets 401 for a private repository and for a missing one alike.
 * Manifests are derived from the image records (one OCI manifest and a config blob carrying the labels, or an
 * index over per-platform manifests); pushed manifests and blobs are kept as sent. Faults and the request log
 * apply as for the other services (service `registry`).
 */
import { randomUUID } from "node:crypto";
import { GraphQLError } from "graphql";
import type { RequestContext, Route } from "./http.js";
import type { ImageRecord } from "./model.js";
import {
  DOCKER_HUB,
  FLY_REGISTRY,
  OCI_PATH_PREFIX,
  ociError,
  RegistryAuth,
  realmHost,
} from "./oci-auth.js";
import {
  childDigest,
  digestOf,
  labelsOf,
  MANIFEST,
  platformManifest,
  type RegistryImage,
  rootDocument,
  type StoredManifest,
} from "./oci-documents.js";
import { parseImageRef } from "./registry.js";
import type { EmulatorState } from "./state.js";
import { sha256Hex } from "./util.js";

/** How GraphQL `app.image` answers a digest ref (`name@sha256:…`), which is uncertain on real Fly. */
export type DigestRefAnswer = "resolves" | "null" | "error";

export interface RegistryImageSpec {
  /** `docker.io/acme/web:3.1.0`, `ghcr.io/acme/api:1.0.0`, `registry.fly.io/acme-web:2.0.0`. */
  ref: string;
  digest?: string;
  labels?: Record<string, string>;
  /** Needs credentials to pull. */
  private?: boolean;
  /** A multi-arch image: an index over one manifest per platform (`linux/amd64`, `linux/arm64`). */
  platforms?: string[];
  createdAt?: string;
  sizeBytes?: number;
}

export interface RegistrySpec {
  /** The API host: `registry-1.docker.io`, `ghcr.io`, … */
  host: string;
  /** Username/password pairs the token endpoint accepts. */
  credentials?: Array<{ username: string; password: string }>;
  images?: RegistryImageSpec[];
}

const DOCKER_HUB_NAMES = new Set([
  "docker.io",
  "index.docker.io",
  DOCKER_HUB,
  "docker-hub-mirror.fly.io",
]);

interface Repo {
  manifests: Map<string, StoredManifest>;
  tags: Map<string, string>;
  blobs: Map<string, Buffer>;
}

export { OCI_PATH_PREFIX };

/** The API host that serves a reference's registry (Docker Hub's names all lead to one). */
export function registryApiHost(registry: string): string {
  return DOCKER_HUB_NAMES.has(registry) ? DOCKER_HUB : registry;
}

export class OciRegistry {
  /** What `app.image` answers for digest refs; `setDigestRefs` changes it. */
  digestRefs: DigestRefAnswer;
  private readonly external = new Map<string, RegistryImage[]>();
  /** Pushed content, by `host/repository`. */
  private readonly pushed = new Map<string, Repo>();
  private readonly uploads = new Map<string, { host: string; repository: string }>();
  /** Digests pruned from an index's children (the index stays). */
  private readonly prunedChildren = new Set<string>();

  private readonly auth: RegistryAuth;

  constructor(
    private readonly state: EmulatorState,
    specs: RegistrySpec[] = [],
    digestRefs: DigestRefAnswer = "resolves",
  ) {
    this.digestRefs = digestRefs;
    this.auth = new RegistryAuth(state, (host, repository) => this.imagesOf(host, repository));
    for (const spec of specs) {
      const host = registryApiHost(spec.host);
      this.auth.addCredentials(host, spec.credentials ?? []);
      for (const image of spec.images ?? []) this.addImage(image, host);
    }
  }

  /** Adds an image to a registry (the host comes from the ref unless given). */
  addImage(spec: RegistryImageSpec, host?: string): void {
    const parsed = parseImageRef(spec.ref);
    const apiHost = host ?? registryApiHost(parsed.registry);
    const record: ImageRecord = {
      ref: spec.ref,
      registry: parsed.registry,
      repository: parsed.repository,
      tag: parsed.tag,
      digest: spec.digest ?? parsed.digest ?? `sha256:${sha256Hex(`image:${spec.ref}`)}`,
      labels: { ...(spec.labels ?? {}) },
      createdAt: spec.createdAt ?? this.state.nowIso(),
      sizeBytes: spec.sizeBytes ?? 30_000_000,
      bad: false,
      neverStarts: false,
      crashExitCode: null,
      releaseCommandExitCode: 0,
    };
    const list = (this.external.get(apiHost) ?? []).filter((i) => i.record.ref !== spec.ref);
    list.push({ record, private: spec.private ?? false, platforms: spec.platforms ?? [] });
    this.external.set(apiHost, list);
  }

  /** Removes an image (by tag or digest ref) from an external registry, or one platform manifest of an index. */
  prune(ref: string): boolean {
    const parsed = parseImageRef(ref);
    const host = registryApiHost(parsed.registry);
    if (host === FLY_REGISTRY) {
      const app = parsed.repository.split("/")[0] ?? "";
      return this.state.apps.has(app) && this.state.removeImage(app, ref);
    }
    const list = this.external.get(host) ?? [];
    const kept = list.filter(
      (i) =>
        i.record.repository !== parsed.repository ||
        (parsed.digest ? i.record.digest !== parsed.digest : i.record.tag !== parsed.tag),
    );
    if (kept.length !== list.length) {
      this.external.set(host, kept);
      return true;
    }
    if (parsed.digest && this.childOwner(host, parsed.repository, parsed.digest)) {
      this.prunedChildren.add(parsed.digest);
      return true;
    }
    return false;
  }

  /** An external image as GraphQL `app.image` sees it: public ones resolve, private ones need credentials. */
  resolveExternal(ref: string): ImageRecord | "private" | null {
    const parsed = parseImageRef(ref);
    const host = registryApiHost(parsed.registry);
    if (host === FLY_REGISTRY) return null;
    const image = this.imagesOf(host, parsed.repository).find((i) =>
      parsed.digest ? i.record.digest === parsed.digest : i.record.tag === parsed.tag,
    );
    if (!image) return null;
    if (image.private) return "private";
    if (host !== DOCKER_HUB) return image.record;
    // Fly hands Docker Hub images back on its mirror (REAL-BEHAVIOUR.md §10).
    const mirrored = `docker-hub-mirror.fly.io/${parsed.repository}`;
    return {
      ...image.record,
      registry: "docker-hub-mirror.fly.io",
      ref: parsed.tag ? `${mirrored}:${parsed.tag}` : `${mirrored}@${image.record.digest}`,
    };
  }

  route(method: string, pathname: string, query: URLSearchParams): Route {
    const rest = pathname.slice(OCI_PATH_PREFIX.length);
    const slash = rest.indexOf("/");
    const host = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? "/" : rest.slice(slash);
    const base = { service: "registry" as const, mutating: method !== "GET" && method !== "HEAD" };
    const realmOwner = realmHost(`${host}${path}`);
    if (realmOwner) {
      return {
        ...base,
        mutating: false,
        operation: "registry.token",
        handle: (ctx) => this.auth.issueToken(ctx, realmOwner, query),
      };
    }
    const apiHost = registryApiHost(host);
    const match = /^\/v2\/(?:(.+)\/(manifests|blobs)\/(uploads\/?([^/]*)|[^/]+))?$/.exec(path);
    if (!match || (path !== "/v2/" && !match[1])) {
      return {
        ...base,
        operation: "registry.unknown",
        handle: (ctx) => ociError(ctx, 404, "NOT_FOUND", "not found"),
      };
    }
    if (path === "/v2/")
      return { ...base, operation: "registry.ping", handle: (ctx) => this.auth.ping(ctx, apiHost) };
    const repository = match[1] ?? "";
    const kind = match[2];
    const reference = match[3] ?? "";
    if (kind === "blobs" && reference.startsWith("uploads")) {
      const id = match[4] ?? "";
      return {
        ...base,
        operation: "registry.upload",
        handle: (ctx) =>
          this.auth.withAccess(ctx, apiHost, repository, "push", () =>
            this.upload(ctx, apiHost, repository, id, query),
          ),
      };
    }
    if (kind === "manifests" && method === "PUT") {
      return {
        ...base,
        operation: "registry.putManifest",
        handle: (ctx) =>
          this.auth.withAccess(ctx, apiHost, repository, "push", () =>
            this.putManifest(ctx, apiHost, repository, reference),
          ),
      };
    }
    const operation = kind === "manifests" ? "registry.manifest" : "registry.blob";
    return {
      ...base,
      operation,
      handle: (ctx) =>
        this.auth.withAccess(ctx, apiHost, repository, "pull", () =>
          kind === "manifests"
            ? this.serveManifest(ctx, apiHost, repository, reference)
            : this.serveBlob(ctx, apiHost, repository, reference),
        ),
    };
  }

  // ---------------------------------------------------------------- content

  private imagesOf(host: string, repository: string): RegistryImage[] {
    const out: RegistryImage[] = [];
    for (const app of this.state.apps.values()) {
      for (const record of app.images) {
        if (registryApiHost(record.registry) === host && record.repository === repository) {
          out.push({ record, private: host === FLY_REGISTRY, platforms: [] });
        }
      }
    }
    for (const image of this.external.get(host) ?? []) {
      if (image.record.repository === repository) out.push(image);
    }
    return out;
  }

  private repo(host: string, repository: string): Repo {
    const key = `${host}/${repository}`;
    let repo = this.pushed.get(key);
    if (!repo) {
      repo = { manifests: new Map(), tags: new Map(), blobs: new Map() };
      this.pushed.set(key, repo);
    }
    return repo;
  }

  private childOwner(host: string, repository: string, digest: string): RegistryImage | null {
    return (
      this.imagesOf(host, repository).find((i) =>
        i.platforms.some((p) => childDigest(i.record, p) === digest),
      ) ?? null
    );
  }

  /** Every manifest a repository holds, by digest (derived ones and pushed ones). */
  private manifest(
    host: string,
    repository: string,
    reference: string,
  ): { digest: string; stored: StoredManifest } | null {
    const pushed = this.pushed.get(`${host}/${repository}`);
    const pushedDigest = reference.startsWith("sha256:") ? reference : pushed?.tags.get(reference);
    const fromPush = pushedDigest ? pushed?.manifests.get(pushedDigest) : undefined;
    if (pushedDigest && fromPush) return { digest: pushedDigest, stored: fromPush };
    for (const image of this.imagesOf(host, repository)) {
      const byDigest = reference.startsWith("sha256:");
      if (byDigest ? image.record.digest === reference : image.record.tag === reference) {
        return { digest: image.record.digest, stored: rootDocument(image) };
      }
      for (const platform of image.platforms) {
        const digest = childDigest(image.record, platform);
        if (byDigest && digest === reference && !this.prunedChildren.has(digest)) {
          return { digest, stored: platformManifest(image.record, platform).manifest };
        }
      }
    }
    return null;
  }

  private blob(host: string, repository: string, digest: string): Buffer | null {
    const pushed = this.pushed.get(`${host}/${repository}`)?.blobs.get(digest);
    if (pushed) return pushed;
    for (const image of this.imagesOf(host, repository)) {
      for (const platform of image.platforms.length > 0 ? image.platforms : [null]) {
        const docs = platformManifest(image.record, platform);
        if (docs.configDigest === digest) return docs.config;
        if (docs.layerDigest === digest) return Buffer.from(`layer:${docs.layerDigest}`);
      }
    }
    return null;
  }

  private serveManifest(
    ctx: RequestContext,
    host: string,
    repository: string,
    reference: string,
  ): void {
    const found = this.manifest(host, repository, reference);
    if (!found) {
      const known =
        this.imagesOf(host, repository).length > 0 || this.pushed.has(`${host}/${repository}`);
      ociError(
        ctx,
        404,
        known ? "MANIFEST_UNKNOWN" : "NAME_UNKNOWN",
        known ? "manifest unknown" : "repository name not known to registry",
      );
      return;
    }
    const headers = {
      "content-type": found.stored.mediaType,
      "content-length": String(found.stored.body.length),
      "docker-content-digest": found.digest,
    };
    ctx.res.writeHead(200, headers);
    ctx.res.end(ctx.method === "HEAD" ? undefined : found.stored.body);
  }

  private serveBlob(ctx: RequestContext, host: string, repository: string, digest: string): void {
    const body = this.blob(host, repository, digest);
    if (!body) {
      ociError(ctx, 404, "BLOB_UNKNOWN", "blob unknown to registry");
      return;
    }
    ctx.res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": String(body.length),
      "docker-content-digest": digest,
    });
    ctx.res.end(ctx.method === "HEAD" ? undefined : body);
  }

  /** Blob uploads: cross-repository mount (same registry), or a monolithic POST-then-PUT upload. */
  private upload(
    ctx: RequestContext,
    host: string,
    repository: string,
    id: string,
    query: URLSearchParams,
  ): void {
    const target = this.repo(host, repository);
    if (ctx.method === "POST" && !id) {
      const mount = query.get("mount");
      const from = query.get("from");
      const mounted = mount && from ? this.blob(host, from, mount) : null;
      if (mount && mounted) {
        target.blobs.set(mount, mounted);
        ctx.res.writeHead(201, {
          location: `${OCI_PATH_PREFIX}${host}/v2/${repository}/blobs/${mount}`,
          "docker-content-digest": mount,
        });
        ctx.res.end();
        return;
      }
      const uuid = randomUUID();
      this.uploads.set(uuid, { host, repository });
      ctx.res.writeHead(202, {
        location: `${OCI_PATH_PREFIX}${host}/v2/${repository}/blobs/uploads/${uuid}`,
        "docker-upload-uuid": uuid,
      });
      ctx.res.end();
      return;
    }
    const session = this.uploads.get(id);
    const digest = query.get("digest");
    if (ctx.method !== "PUT" || !session || session.repository !== repository || !digest) {
      ociError(ctx, 404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry");
      return;
    }
    this.uploads.delete(id);
    target.blobs.set(digest, ctx.body);
    ctx.res.writeHead(201, {
      location: `${OCI_PATH_PREFIX}${host}/v2/${repository}/blobs/${digest}`,
      "docker-content-digest": digest,
    });
    ctx.res.end();
  }

  /** A manifest push: every blob it names must be in the repository; a tag push to Fly's registry lands in the app's table. */
  private putManifest(
    ctx: RequestContext,
    host: string,
    repository: string,
    reference: string,
  ): void {
    let doc: {
      mediaType?: string;
      config?: { digest?: string };
      layers?: Array<{ digest?: string }>;
    };
    try {
      doc = JSON.parse(ctx.body.toString("utf8"));
    } catch {
      ociError(ctx, 400, "MANIFEST_INVALID", "manifest invalid");
      return;
    }
    const target = this.repo(host, repository);
    const needed = [doc.config?.digest, ...(doc.layers ?? []).map((l) => l.digest)].filter(
      (d): d is string => !!d,
    );
    const missing = needed.find((d) => !target.blobs.has(d) && !this.blob(host, repository, d));
    if (missing) {
      ociError(ctx, 400, "MANIFEST_BLOB_UNKNOWN", `blob unknown to registry: ${missing}`);
      return;
    }
    const digest = digestOf(ctx.body);
    target.manifests.set(digest, {
      mediaType: doc.mediaType ?? ctx.req.headers["content-type"] ?? MANIFEST,
      body: ctx.body,
    });
    if (!reference.startsWith("sha256:")) target.tags.set(reference, digest);
    const app = this.state.apps.get(repository);
    if (host === FLY_REGISTRY && app && !reference.startsWith("sha256:")) {
      const config = doc.config?.digest ? this.blob(host, repository, doc.config.digest) : null;
      this.state.addImage(app.name, {
        ref: `${FLY_REGISTRY}/${repository}:${reference}`,
        digest,
        labels: labelsOf(config),
      });
    }
    ctx.res.writeHead(201, {
      location: `${OCI_PATH_PREFIX}${host}/v2/${repository}/manifests/${digest}`,
      "docker-content-digest": digest,
    });
    ctx.res.end();
  }
}

/**
 * GraphQL `app.image(ref)`: the app tables first, then public external images (Docker Hub ones come back on
 * Fly's mirror); a private external image is an error, as on Fly. Digest refs answer as configured.
 */
export function graphqlImage(
  state: EmulatorState,
  ref: string,
): { image: ImageRecord; ref: string } | null {
  const oci = state.oci;
  if (oci && parseImageRef(ref).digest) {
    if (oci.digestRefs === "null") return null;
    if (oci.digestRefs === "error") {
      throw new GraphQLError(`failed to resolve image ${ref}`, {
        extensions: { code: "INTERNAL_SERVER_ERROR" },
      });
    }
  }
  const own = state.findImage(ref);
  if (own) return { image: own, ref };
  const external = oci?.resolveExternal(ref) ?? null;
  if (external === "private") {
    throw new GraphQLError(`Authentication required to access image "${ref}"`, {
      extensions: { code: "UNAUTHORIZED" },
    });
  }
  return external ? { image: external, ref: external.ref } : null;
}
