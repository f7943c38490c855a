/**
 * The documents an emulated registry serves for an image record: one OCI manifest whose config blob carries
 * the labels, or an index over one manifest per platform. Derived, not content-addressed (the scenario's
 * digest names the image); pushed documents are kept as sent by oci-registry.ts.
 */
import { createHash } from "node:crypto";
import type { ImageRecord } from "./model.js";
import { sha256Hex } from "./util.js";

export const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const INDEX = "application/vnd.oci.image.index.v1+json";
const CONFIG = "application/vnd.oci.image.config.v1+json";
const LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

export interface RegistryImage {
  record: ImageRecord;
  private: boolean;
  platforms: string[];
}

export interface StoredManifest {
  mediaType: string;
  body: Buffer;
}

export const digestOf = (body: Buffer | string) =>
  `sha256:${createHash("sha256").update(body).digest("hex")}`;

export function labelsOf(config: Buffer | null): Record<string, string> {
  try {
    const doc = JSON.parse(config?.toString("utf8") ?? "{}") as {
      config?: { Labels?: Record<string, string> };
    };
    return { ...(doc.config?.Labels ?? {}) };
  } catch {
    return {};
  }
}

export function childDigest(image: ImageRecord, platform: string): string {
  return `sha256:${sha256Hex(`platform:${image.digest}:${platform}`)}`;
}

/** One platform's manifest and config (labels under `config.Labels`); `null` is a single-platform image. */
export function platformManifest(image: ImageRecord, platform: string | null) {
  const [os = "linux", architecture = "amd64"] = (platform ?? "linux/amd64").split("/");
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os,
      created: image.createdAt,
      config: { Labels: { ...image.labels } },
      rootfs: {
        type: "layers",
        diff_ids: [`sha256:${sha256Hex(`diff:${image.digest}:${platform}`)}`],
      },
    }),
  );
  const configDigest = digestOf(config);
  const layerDigest = `sha256:${sha256Hex(`layer:${image.digest}:${platform}`)}`;
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: { mediaType: CONFIG, digest: configDigest, size: config.length },
      layers: [
        { mediaType: LAYER, digest: layerDigest, size: Buffer.byteLength(`layer:${layerDigest}`) },
      ],
    }),
  );
  return { config, configDigest, layerDigest, manifest: { mediaType: MANIFEST, body } };
}

/** What the image's own digest names: its manifest, or the index over its platforms. */
export function rootDocument(image: RegistryImage): StoredManifest {
  if (image.platforms.length === 0) return platformManifest(image.record, null).manifest;
  const manifests = image.platforms.map((platform) => {
    const [os, architecture] = platform.split("/");
    const child = platformManifest(image.record, platform).manifest;
    return {
      mediaType: MANIFEST,
      digest: childDigest(image.record, platform),
      size: child.body.length,
      platform: { os, architecture },
    };
  });
  return {
    mediaType: INDEX,
    body: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests })),
  };
}
