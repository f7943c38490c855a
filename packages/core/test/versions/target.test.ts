import { describe, expect, it } from "vitest";
import {
  buildVersionHistory,
  lookupVersion,
  parseReleaseNumber,
  type RollbackTarget,
  resolveRollbackTarget,
  SemflyError,
  type SkippedCandidate,
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
      'The range "~3.1.12" matches nothing to roll back to: only 3.1.13 (never deployed successfully: v28 failed), 3.1.12 (live) match.',
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
      expect(semflyError.message).toBe('"4.0.0" was never deployed to acme-web.');
      expect(semflyError.suggestion).toContain("3.1.13");
    }
  });
});

describe("Fly's notation: vN is release N", () => {
  const messageOf = (spec: string) => {
    try {
      lookupVersion(history, spec);
    } catch (error) {
      if (error instanceof SemflyError)
        return `${error.code}: ${error.message} | ${error.suggestion}`;
      throw error;
    }
    return "resolved";
  };

  it("reads v17 as release 17 when no version 17.x exists", () => {
    expect(resolveRollbackTarget(history, { spec: "v17" }).version).toBe("3.1.10");
    expect(resolveRollbackTarget(history, { spec: "V18" }).version).toBe("3.1.11");
  });

  it("refuses v3 when the app has both release 3 and versions 3.x, naming both readings", () => {
    const message =
      '"v3" names both Fly release 3 (3.1.9) and the versions 3.x (3.1.13, 3.1.12, 3.1.11, …).';
    expect(() => resolveRollbackTarget(history, { spec: "v3" })).toThrow(
      expect.objectContaining({
        code: "AMBIGUOUS_TARGET",
        message,
        suggestion: "Pass --release 3 for the release, or 3.x for the range.",
      }),
    );
    // Where there is no --release flag (diff), the release is named by its version.
    expect(messageOf("v3")).toBe(
      `AMBIGUOUS_TARGET: ${message} | Pass 3.1.9 for release 3's version, or 3.x for the range.`,
    );
  });

  it("reads vN as the range N.x when the app has no release N", () => {
    const early = buildVersionHistory({
      app,
      releases: [
        release({ version: 1, imageRef: "r/acme-web:5.0.0", imageDigest: digestOf("5.0.0") }),
        release({ version: 2, imageRef: "r/acme-web:5.1.0", imageDigest: digestOf("5.1.0") }),
      ],
    });
    expect(resolveRollbackTarget(early, { spec: "v5" }).version).toBe("5.0.0");
  });

  it("says neither reading exists when there is no release N and no version N.x", () => {
    expect(messageOf("v99")).toBe(
      'RELEASE_NOT_FOUND: acme-web has no release "v99" and no version 99.x. | Run `semfly releases --app acme-web` to list its releases, or `semfly versions` for its versions.',
    );
  });

  it.each([
    ["27", 27],
    ["v258", 258],
    [" V3 ", 3],
    ["9007199254740991", Number.MAX_SAFE_INTEGER],
  ])("parses the release number %j", (text, number) => {
    expect(parseReleaseNumber(text)).toBe(number);
  });

  it.each(["", "0", "-3", "v", "3.1", "27a", "9007199254740992", "99999999999999999999"])(
    "refuses %j as a release number: past 2^53 a number would name another release",
    (text) => {
      expect(() => parseReleaseNumber(text)).toThrow(
        expect.objectContaining({ code: "INVALID_RELEASE", exitCode: 2 }),
      );
    },
  );

  it("refuses a release number past 2^53 given as a number", () => {
    expect(codeOf({ release: 2 ** 53 + 2 })).toBe("INVALID_RELEASE");
  });
});

describe("a range that passes over a higher version", () => {
  it("names each version it skipped and why: a failed deploy, a pruned image", () => {
    const pruned = buildVersionHistory({
      app,
      releases: [
        ...acmeWebHistory(),
        release({
          version: 28,
          status: "failed",
          imageRef: "registry.fly.io/acme-web:3.2.0",
          imageDigest: digestOf("3.2.0"),
        }),
        // 3.1.12 again, then 3.1.13 live: 3.1.12's image is the one we drop below.
        release({
          version: 29,
          imageRef: "registry.fly.io/acme-web:3.1.13",
          imageDigest: digestOf("3.1.13"),
        }),
      ].map((r) => (r.imageRef?.endsWith(":3.1.12") ? { ...r, imageDigest: null } : r)),
    });
    const skipped: SkippedCandidate[] = [];
    const entry = resolveRollbackTarget(pruned, { spec: "^3" }, (skip) => skipped.push(skip));
    expect(entry.version).toBe("3.1.11");
    expect(skipped).toEqual([
      { version: "3.2.0", why: "never deployed successfully: v28 failed" },
      { version: "3.1.12", why: "image unknown to Fly, likely pruned" },
    ]);
  });

  it("reports nothing when the highest match is taken", () => {
    const skipped: SkippedCandidate[] = [];
    resolveRollbackTarget(history, { spec: "3.1.11" }, (skip) => skipped.push(skip));
    resolveRollbackTarget(history, { spec: "<3.1.11" }, (skip) => skipped.push(skip));
    expect(skipped).toEqual([]);
  });
});
