/** Manifest documents and scopes, shared by the registry client's reads and its copy. */
import { SemflyError } from "../errors.js";
import type { RegistryReference } from "./reference.js";

export const INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export interface ManifestDoc {
  mediaType?: string;
  config?: { digest?: string };
  layers?: Array<{ digest?: string; size?: number }>;
  manifests?: Array<{ digest?: string; platform?: { os?: string; architecture?: string } }>;
}

export function pullScope(ref: RegistryReference, push = false): string {
  return `repository:${ref.repository}:${push ? "pull,push" : "pull"}`;
}

export function parseJson<T>(body: Buffer): T | null {
  try {
    return JSON.parse(body.toString("utf8")) as T;
  } catch {
    return null;
  }
}

export function registryError(code: string, message: string, suggestion?: string): SemflyError {
  return new SemflyError({ code, message, suggestion, operation: "copy the image" });
}
