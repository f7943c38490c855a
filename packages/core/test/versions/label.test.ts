import { describe, expect, it } from "vitest";
import { versionLabel } from "../../src/index.js";

const DIGEST = "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979";

describe("a version's on-screen label", () => {
  it("is the semver when there is one, whatever else is known", () => {
    expect(versionLabel({ version: "3.1.11", digest: DIGEST, key: "3.1.11" })).toBe("3.1.11");
  });

  it("is the short digest of an unversioned image, from its digest or its digest key", () => {
    expect(versionLabel({ version: null, digest: DIGEST, key: DIGEST })).toBe(
      "sha256:ed5c6ce26bc7",
    );
    expect(versionLabel({ version: null, key: DIGEST })).toBe("sha256:ed5c6ce26bc7");
  });

  it("is the image ref when neither semver nor digest is known", () => {
    expect(
      versionLabel({ version: null, digest: null, key: "registry.fly.io/acme-web:deploy-1" }),
    ).toBe("registry.fly.io/acme-web:deploy-1");
  });

  it("names no version with the word the caller gives, a dash by default", () => {
    expect(versionLabel(null)).toBe("-");
    expect(versionLabel(undefined, "nothing")).toBe("nothing");
    expect(versionLabel({ version: null, digest: null, key: null }, "an unknown image")).toBe(
      "an unknown image",
    );
  });
});
