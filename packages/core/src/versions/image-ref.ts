/** The parts of an image reference such as `registry.fly.io/acme-web:v3.1.11@sha256:…`. */
export interface ParsedImageReference {
  /** Everything before the tag and digest: `registry.fly.io/acme-web`. */
  name: string;
  tag: string | null;
  digest: string | null;
}

export function parseImageReference(ref: string): ParsedImageReference {
  let rest = ref.trim();
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1) || null;
    rest = rest.slice(0, at);
  }
  // A colon after the last slash starts the tag; one before it belongs to a registry port (host:5000/app).
  const colon = rest.lastIndexOf(":");
  const slash = rest.lastIndexOf("/");
  if (colon > slash) {
    return { name: rest.slice(0, colon), tag: rest.slice(colon + 1) || null, digest };
  }
  return { name: rest, tag: null, digest };
}

/** `registry.fly.io/<app>@sha256:…`: how a rollout names the image, so the registry cannot move it. */
export function digestReference(ref: string, digest: string): string {
  return `${parseImageReference(ref).name}@${digest}`;
}

/** `name:tag` of a ref that has a tag (any digest dropped), else null. */
export function tagReference(ref: string | null | undefined): string | null {
  if (!ref) return null;
  const { name, tag } = parseImageReference(ref);
  return tag ? `${name}:${tag}` : null;
}

export function shortDigest(digest: string | null): string {
  if (!digest) return "unknown";
  const hex = digest.replace(/^sha256:/, "");
  return `sha256:${hex.slice(0, 12)}`;
}
