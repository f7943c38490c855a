import { describe, expect, it } from "vitest";
import { credentialKey, parseRegistryReference, recognizeVersion } from "../../src/index.js";

const D = `sha256:${"a".repeat(64)}`;

describe("parseRegistryReference", () => {
  // Docker Hub has many names and one API host; Fly's mirror keeps Docker Hub's repository names.
  it.each([
    ["nginx:1.27.0", "docker.io", "registry-1.docker.io", "library/nginx", "1.27.0", null],
    ["docker.io/acme/web:v3.1.0", "docker.io", "registry-1.docker.io", "acme/web", "v3.1.0", null],
    [
      "docker-hub-mirror.fly.io/acme/web:3.1.0",
      "docker-hub-mirror.fly.io",
      "registry-1.docker.io",
      "acme/web",
      "3.1.0",
      null,
    ],
    [
      `docker-hub-mirror.fly.io/library/nginx@${D}`,
      "docker-hub-mirror.fly.io",
      "registry-1.docker.io",
      "library/nginx",
      null,
      D,
    ],
    [
      `registry.fly.io/acme-web:3.1.11@${D}`,
      "registry.fly.io",
      "registry.fly.io",
      "acme-web",
      "3.1.11",
      D,
    ],
    ["ghcr.io/acme/web", "ghcr.io", "ghcr.io", "acme/web", null, null],
    ["localhost:5000/app:1.0.0", "localhost:5000", "localhost:5000", "app", "1.0.0", null],
  ])("%s", (ref, registry, apiHost, repository, tag, digest) => {
    expect(parseRegistryReference(ref)).toEqual({ registry, apiHost, repository, tag, digest });
  });

  it("files Docker Hub credentials under docker's own key, others under the host", () => {
    expect(credentialKey("registry-1.docker.io")).toBe("https://index.docker.io/v1/");
    expect(credentialKey("ghcr.io")).toBe("ghcr.io");
  });
});

describe("Docker Hub tags are versions like any other", () => {
  it.each([
    ["docker-hub-mirror.fly.io/acme/web:3.1.0", "3.1.0"],
    ["docker.io/acme/web:v3.2.0-rc.1", "3.2.0-rc.1"],
    ["acme/web:2.0.1_build.7", "2.0.1+build.7"],
  ])("%s is %s", (imageRef, version) => {
    expect(recognizeVersion({ imageRef })).toEqual({ version, source: "tag" });
  });
});
