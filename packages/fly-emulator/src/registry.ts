import type { AppRecord, ImageRecord, ImageRefJson } from "./model.js";

export interface ParsedImageRef {
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
}

/** Splits a Docker reference: `registry.fly.io/app:tag`, `registry.fly.io/app@sha256:…`, or both. */
export function parseImageRef(ref: string): ParsedImageRef {
  let rest = ref.trim();
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry = "docker.io";
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (registry === "docker.io" && !rest.includes("/")) rest = `library/${rest}`;
  return { registry, repository: rest, tag, digest };
}

/** Finds an image by tag ref, digest ref or `tag@digest` ref in the registry tables of all apps. */
export function findImage(apps: Iterable<AppRecord>, ref: string): ImageRecord | null {
  const wanted = parseImageRef(ref);
  for (const app of apps) {
    for (const image of app.images) {
      if (image.registry !== wanted.registry || image.repository !== wanted.repository) continue;
      if (wanted.digest) {
        if (image.digest === wanted.digest) return image;
      } else if (wanted.tag !== null && image.tag === wanted.tag) {
        return image;
      }
    }
  }
  return null;
}

/** A machine's `image_ref` for a deployed ref: the ref's own tag, the registry's digest and labels. */
export function imageRefJson(ref: string, image: ImageRecord | null): ImageRefJson {
  const parsed = parseImageRef(ref);
  return {
    registry: parsed.registry,
    repository: parsed.repository,
    tag: parsed.tag ?? "",
    digest: image?.digest ?? parsed.digest ?? "",
    labels: { ...(image?.labels ?? {}) },
  };
}
