import { describe, expect, it } from "vitest";
import {
  buildVersionHistory,
  checkPromotable,
  checkSameOrganization,
  promotedImageRef,
  SemflyError,
} from "../../src/index.js";
import { digestOf, release } from "../builders.js";

const ref = (v: string) => `registry.fly.io/web-staging:${v}`;
const deploy = (version: number, v: string, status = "complete", metadata = {}) =>
  release({
    version,
    status,
    reason: "deploy",
    imageRef: ref(v),
    imageDigest: digestOf(v),
    metadata,
  });
const staging = buildVersionHistory({
  app: "web-staging",
  releases: [
    deploy(1, "1.0.0"),
    deploy(2, "1.1.0", "complete", { semfly: { gates: { passed: false } } }),
    deploy(3, "1.2.0"),
    deploy(4, "1.3.0", "failed"),
  ],
});
const entry = (key: string) => staging.versions.find((v) => v.key === key)!;

function codeOf(run: () => unknown): string {
  try {
    run();
    return "ok";
  } catch (error) {
    if (error instanceof SemflyError) return error.code;
    throw error;
  }
}

describe("which staging versions may be promoted", () => {
  it.each([
    ["the live version", "1.2.0", "ok"],
    ["a version that was live before", "1.0.0", "ok"],
    ["a version that never went live", "1.3.0", "PROMOTE_NOT_HEALTHY"],
    ["a version whose recorded gates failed", "1.1.0", "PROMOTE_GATES_FAILED"],
  ])("%s (%s): %s", (_why, key, code) => {
    expect(codeOf(() => checkPromotable("web-staging", entry(key)))).toBe(code);
  });

  it("lets --force promote what was never healthy, still recording where it came from", () => {
    expect(checkPromotable("web-staging", entry("1.3.0"), { force: true })).toEqual({
      app: "web-staging",
      release: null,
      digest: digestOf("1.3.0"),
    });
    expect(checkPromotable("web-staging", entry("1.2.0")).release).toBe(3);
  });

  it("refuses two organisations, whatever else", () => {
    expect(
      codeOf(() => checkSameOrganization({ app: "a", org: "one" }, { app: "b", org: "two" })),
    ).toBe("PROMOTE_CROSS_ORG");
    expect(
      codeOf(() => checkSameOrganization({ app: "a", org: "one" }, { app: "b", org: "one" })),
    ).toBe("ok");
  });

  it("pins the staging repository by digest", () => {
    expect(promotedImageRef("web-staging", entry("1.2.0"), digestOf("1.2.0"))).toBe(
      `registry.fly.io/web-staging@${digestOf("1.2.0")}`,
    );
  });
});
