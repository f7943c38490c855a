/**
 * `semfly deploy --push`: copy an image from another registry into registry.fly.io. Blobs first (a
 * cross-repository mount within one registry, otherwise streamed from the source into a monolithic upload),
 * then the manifest under the target tag, as the distribution spec orders it.
 */
import type { RegistryCallOptions } from "./client.js";
import { type ManifestDoc, pullScope, registryError } from "./manifest-doc.js";
import { parseRegistryReference, type RegistryReference } from "./reference.js";
import type { RegistryResponse, RegistryTransport } from "./transport.js";

export interface CopyDeps {
  transport: RegistryTransport;
  /** The single-platform manifest a reference names (an index followed to Fly's platform). */
  platformManifest(
    ref: RegistryReference,
    reference: string,
    o: RegistryCallOptions,
  ): Promise<{ doc: ManifestDoc; response: RegistryResponse } | null>;
}

async function copyBlob(
  deps: CopyDeps,
  from: RegistryReference,
  to: RegistryReference,
  digest: string,
  o: RegistryCallOptions,
) {
  const scope = pullScope(to, true);
  const blobPath = (r: RegistryReference) => `/v2/${r.repository}/blobs/${digest}`;
  const present = await deps.transport.send({
    apiHost: to.apiHost,
    method: "HEAD",
    path: blobPath(to),
    scope,
    signal: o.signal,
  });
  if (present.status === 200) return;
  // Same registry: a cross-repository mount moves no bytes.
  const mount =
    from.apiHost === to.apiHost
      ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from.repository)}`
      : "";
  const start = await deps.transport.send({
    apiHost: to.apiHost,
    method: "POST",
    path: `/v2/${to.repository}/blobs/uploads/${mount}`,
    scope,
    body: Buffer.alloc(0),
    signal: o.signal,
  });
  if (start.status === 201) return;
  if (start.status !== 202 || !start.headers.location) {
    throw registryError(
      "REGISTRY_PUSH_FAILED",
      `${to.apiHost} refused an upload to ${to.repository} (HTTP ${start.status}).`,
      "Check that the Fly token may push to this app's registry.",
    );
  }
  const source = await deps.transport.send({
    apiHost: from.apiHost,
    method: "GET",
    path: blobPath(from),
    scope: pullScope(from),
    stream: true,
    signal: o.signal,
  });
  if (source.status !== 200 || !source.stream) {
    throw registryError(
      "REGISTRY_PULL_FAILED",
      `${from.apiHost} did not serve blob ${digest} of ${from.repository} (HTTP ${source.status}).`,
    );
  }
  const location = new URL(start.headers.location, start.url);
  location.searchParams.set("digest", digest);
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (source.headers["content-length"])
    headers["content-length"] = source.headers["content-length"];
  const put = await deps.transport.send({
    apiHost: to.apiHost,
    method: "PUT",
    path: location.toString(),
    scope,
    body: source.stream,
    headers,
    signal: o.signal,
  });
  if (put.status !== 201) {
    throw registryError(
      "REGISTRY_PUSH_FAILED",
      `${to.apiHost} refused blob ${digest} for ${to.repository} (HTTP ${put.status}).`,
    );
  }
}

/** Copy an image (its Fly platform manifest) to `target`: each blob (mounted or uploaded), then the manifest. */
export async function copyImageTo(
  deps: CopyDeps,
  sourceText: string,
  targetText: string,
  o: RegistryCallOptions = {},
): Promise<{ digest: string }> {
  const from = parseRegistryReference(sourceText);
  const to = parseRegistryReference(targetText);
  if (!to.tag) throw registryError("INVALID_IMAGE_REF", `${targetText} has no tag to push to.`);
  const found = await deps
    .platformManifest(from, from.digest ?? from.tag ?? "latest", o)
    .catch(() => null);
  if (!found) {
    throw registryError(
      "REGISTRY_PULL_FAILED",
      `Could not read ${sourceText} from ${from.apiHost}.`,
      `Check \`docker pull ${sourceText}\` works with the credentials in ~/.docker/config.json.`,
    );
  }
  const blobs = [found.doc.config?.digest, ...(found.doc.layers ?? []).map((l) => l.digest)].filter(
    (d): d is string => !!d,
  );
  for (const digest of blobs) await copyBlob(deps, from, to, digest, o);
  const put = await deps.transport.send({
    apiHost: to.apiHost,
    method: "PUT",
    path: `/v2/${to.repository}/manifests/${to.tag}`,
    scope: pullScope(to, true),
    headers: {
      "content-type":
        found.doc.mediaType ??
        found.response.headers["content-type"] ??
        "application/vnd.oci.image.manifest.v1+json",
    },
    body: found.response.body,
    signal: o.signal,
  });
  const digest = put.headers["docker-content-digest"];
  if (put.status !== 201 || !digest) {
    throw registryError(
      "REGISTRY_PUSH_FAILED",
      `${to.apiHost} refused the manifest for ${targetText} (HTTP ${put.status}).`,
    );
  }
  return { digest };
}
