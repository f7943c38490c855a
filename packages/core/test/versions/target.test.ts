import { describe, expect, it } from "vitest";
import {
  buildVersionHistory,
  type RollbackTarget,
  resolveRollbackTarget,
  SemflyError,
} from "../../src/index.js";
import { acmeWebHistory, digestOf, release } from "../builders.js";

const app = "acme-web";
const history = buildVersionHistory({
  app,
  releases: [
    ...acmeWebHistory(),
    release({
      version: 28,
      status: "failed",
      imageRef: "registry.fly.io/acme-web:3.1.13",
      imageDigest: digestOf("3.1.13"),
    }),
  ],
});

function codeOf(target: RollbackTarget): string {
  try {
    resolveRollbackTarget(history, target);
  } catch (error) {
    if (error instanceof SemflyError) return error.code;
    throw error;
  }
  return "resolved";
}

describe("resolving a rollback target", () => {
  it.each<[string, RollbackTarget, string]>([
    ["an exact version", { spec: "3.1.11" }, "3.1.11"],
    ["a v-prefixed version", { spec: "v3.1.10" }, "3.1.10"],
    ["a caret range: the highest deployed version that is not live", { spec: "^3.1" }, "3.1.11"],
    ["an x-range", { spec: "3.1.x" }, "3.1.11"],
    ["a bounded range", { spec: "<3.1.11" }, "3.1.10"],
    ["previous: the version live before the current one", { spec: "previous" }, "3.1.11"],
    ["a Fly release number: the version it belongs to", { release: 17 }, "3.1.10"],
    ["a scale release: the version that was live", { release: 21 }, "3.1.11"],
    ["a digest prefix", { spec: digestOf("3.1.9").slice(0, 19) }, "3.1.9"],
  ])("resolves %s", (_name, target, expected) => {
    expect(resolveRollbackTarget(history, target).version).toBe(expected);
  });

  it.each<[string, RollbackTarget, string]>([
    ["text that is not a version or range", { spec: "banana" }, "NOT_A_VERSION"],
    ["an empty target", { spec: " " }, "NOT_A_VERSION"],
    ["a version never deployed", { spec: "4.0.0" }, "NEVER_DEPLOYED"],
    ["a range that matches nothing", { spec: "3.0.x" }, "RANGE_NO_MATCH"],
    ["a range that matches only the live version", { spec: ">=3.1.12" }, "RANGE_NO_MATCH"],
    ["the live version", { spec: "3.1.12" }, "ALREADY_LIVE"],
    ["a version whose only deploy failed", { spec: "3.1.13" }, "NEVER_SUCCEEDED"],
    ["the release of a failed deploy", { release: 28 }, "NEVER_SUCCEEDED"],
    ["an unknown release number", { release: 99 }, "RELEASE_NOT_FOUND"],
    ["a release number that is not one", { release: -1 }, "INVALID_RELEASE"],
    ["a digest no release has", { spec: "sha256:ffffffffffff" }, "NEVER_DEPLOYED"],
  ])("refuses %s", (_name, target, code) => {
    expect(codeOf(target)).toBe(code);
  });

  it("refuses a version whose digest is unknown", () => {
    const noDigest = buildVersionHistory({
      app,
      releases: [
        release({ version: 1, imageRef: "registry.fly.io/acme-web:1.0.0" }),
        release({
          version: 2,
          imageRef: "registry.fly.io/acme-web:1.1.0",
          imageDigest: digestOf("1.1.0"),
        }),
      ],
    });
    expect(() => resolveRollbackTarget(noDigest, { spec: "1.0.0" })).toThrow(
      /image digest of 1.0.0, so 1.0.0 cannot be pinned/,
    );
  });

  it("refuses previous when only one version was ever live", () => {
    const single = buildVersionHistory({
      app,
      releases: [release({ version: 1, imageRef: "r/acme-web:1.0.0" })],
    });
    expect(() => resolveRollbackTarget(single, { spec: "previous" })).toThrow(
      /no previous version/,
    );
  });

  it("says which versions a range matched and why none qualifies", () => {
    expect(() => resolveRollbackTarget(history, { spec: "~3.1.12" })).toThrow(
      "The range ~3.1.12 matches nothing to roll back to: only 3.1.13 (never deployed successfully), 3.1.12 (live) match.",
    );
  });

  it("marks every refusal as bad input (exit code 2) with a suggestion", () => {
    try {
      resolveRollbackTarget(history, { spec: "4.0.0" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SemflyError);
      const semflyError = error as SemflyError;
      expect(semflyError.exitCode).toBe(2);
      expect(semflyError.message).toBe("4.0.0 was never deployed to acme-web.");
      expect(semflyError.suggestion).toContain("3.1.13");
    }
  });
});
