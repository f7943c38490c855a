import { describe, expect, it } from "vitest";
import { parseImageReference, parseVersion, recognizeVersion } from "../../src/index.js";

describe("recognizing a version", () => {
  it.each([
    ["registry.fly.io/app:3.1.12", "3.1.12"],
    ["registry.fly.io/app:v3.1.12", "3.1.12"],
    ["registry.fly.io/app:3.2.0-rc.1", "3.2.0-rc.1"],
    // Docker tags cannot hold "+": "_" stands for it.
    ["registry.fly.io/app:2.0.1_build.7", "2.0.1+build.7"],
    ["registry.fly.io/app:v2.0.1-rc.2_sha.abc", "2.0.1-rc.2+sha.abc"],
    ["localhost:5000/app:1.2.3", "1.2.3"],
    ["registry.fly.io/app:3.1.12@sha256:abc", "3.1.12"],
  ])("reads the semver tag of %s", (imageRef, expected) => {
    expect(recognizeVersion({ imageRef })).toEqual({ version: expected, source: "tag" });
  });

  it.each([
    [
      "flyctl's default deployment tag",
      "registry.fly.io/app:deployment-01H8XYZABCDEF0123456789ABC",
    ],
    ["latest", "registry.fly.io/app:latest"],
    ["a digest reference", "registry.fly.io/app@sha256:0123"],
    ["a bare repository", "flyio/fastify-functions"],
    ["a two-part number", "registry.fly.io/app:3.1"],
    ["a port but no tag", "localhost:5000/app"],
  ])("treats %s as unversioned", (_name, imageRef) => {
    expect(recognizeVersion({ imageRef })).toBeNull();
  });

  it("prefers semfly's release metadata over the tag", () => {
    expect(
      recognizeVersion({
        metadata: { semfly: { version: "3.1.11" } },
        imageRef: "registry.fly.io/app:3.1.12",
      }),
    ).toEqual({ version: "3.1.11", source: "metadata" });
  });

  it("prefers the tag over the OCI version label", () => {
    expect(
      recognizeVersion({
        imageRef: "registry.fly.io/app:1.0.0",
        labels: { "org.opencontainers.image.version": "2.0.0" },
      }),
    ).toEqual({ version: "1.0.0", source: "tag" });
  });

  it("falls back to the OCI version label when the tag is not a version", () => {
    expect(
      recognizeVersion({
        imageRef: "registry.fly.io/app:deployment-01H8XYZ",
        labels: { "org.opencontainers.image.version": "v4.2.0" },
      }),
    ).toEqual({ version: "4.2.0", source: "label" });
  });

  it("ignores metadata that does not hold a version", () => {
    expect(
      recognizeVersion({ metadata: { semfly: { version: "banana" } }, imageRef: "r/app:1.2.3" }),
    ).toEqual({ version: "1.2.3", source: "tag" });
  });

  it.each([
    ["3.1.12", "3.1.12"],
    ["v1.0.0", "1.0.0"],
    ["1.0.0+b.1", "1.0.0+b.1"],
    ["nope", null],
    ["", null],
  ])("parses %s as %s", (text, expected) => {
    expect(parseVersion(text)).toBe(expected);
  });
});

describe("parsing an image reference", () => {
  it.each([
    [
      "registry.fly.io/acme:v1@sha256:ab",
      { name: "registry.fly.io/acme", tag: "v1", digest: "sha256:ab" },
    ],
    [
      "registry.fly.io/acme@sha256:ab",
      { name: "registry.fly.io/acme", tag: null, digest: "sha256:ab" },
    ],
    ["host:5000/acme", { name: "host:5000/acme", tag: null, digest: null }],
    ["acme:1.0.0", { name: "acme", tag: "1.0.0", digest: null }],
  ])("splits %s", (ref, expected) => {
    expect(parseImageReference(ref)).toEqual(expected);
  });
});
