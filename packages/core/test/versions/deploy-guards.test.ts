import { describe, expect, it } from "vitest";
import {
  buildVersionHistory,
  checkDeployable,
  type DeployCandidate,
  imageOwnVersions,
  type VersionHistory,
} from "../../src/index.js";
import { digestOf, release } from "../builders.js";

const ref = (tag: string) => `registry.fly.io/acme-web:${tag}`;

/** 5.1.0 then 5.2.0 deployed; `live52` says whether 5.2.0 is still live or 5.3.0 replaced it. */
function history(live52: boolean): VersionHistory {
  const releases = [
    release({ version: 1, imageRef: ref("5.1.0"), imageDigest: digestOf("5.1.0") }),
    release({ version: 2, imageRef: ref("5.2.0"), imageDigest: digestOf("5.2.0") }),
  ];
  if (!live52) {
    releases.push(release({ version: 3, imageRef: ref("5.3.0"), imageDigest: digestOf("5.3.0") }));
  }
  return buildVersionHistory({ app: "acme-web", releases });
}

function candidate(overrides: Partial<DeployCandidate>): DeployCandidate {
  return {
    version: "5.4.0",
    imageRef: ref("5.4.0"),
    digest: digestOf("5.4.0"),
    labels: {},
    ...overrides,
  };
}

const codeOf = (h: VersionHistory, c: DeployCandidate) => {
  try {
    checkDeployable(h, c);
    return "allowed";
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe("deploy guards", () => {
  it.each([
    ["live", true],
    ["in the history", false],
  ])(
    "refuses a +build of 5.2.0 (%s) with another digest: a second image at one precedence",
    (_where, live) => {
      const h = history(live);
      const hotfix = candidate({
        version: "5.2.0+hotfix.1",
        imageRef: ref("5.2.0_hotfix.1"),
        digest: digestOf("hotfix"),
      });
      expect(codeOf(h, hotfix)).toBe("SAME_PRECEDENCE");
      // No flag lifts it.
      expect(codeOf(h, { ...hotfix, allowDowngrade: true, forceVersion: true })).toBe(
        "SAME_PRECEDENCE",
      );
    },
  );

  it("says which version holds the precedence and what to deploy instead", () => {
    expect(() =>
      checkDeployable(
        history(true),
        candidate({ version: "5.2.0+hotfix.1", imageRef: ref("x"), digest: digestOf("hotfix") }),
      ),
    ).toThrow(
      `5.2.0+hotfix.1 has the same semver precedence as 5.2.0, live on acme-web as ${digestOf("5.2.0")}; registry.fly.io/acme-web:x is another image (${digestOf("hotfix")}).`,
    );
  });

  it("keeps the rules it had: one digest per version, one version per digest, no quiet downgrade", () => {
    const h = history(true);
    expect(
      codeOf(h, candidate({ version: "5.2.0", imageRef: ref("5.2.0"), digest: digestOf("new") })),
    ).toBe("VERSION_IMMUTABLE");
    expect(codeOf(h, candidate({ digest: digestOf("5.1.0") }))).toBe("DIGEST_HAS_VERSION");
    expect(
      codeOf(h, candidate({ version: "5.0.1", imageRef: ref("5.0.1"), digest: digestOf("old") })),
    ).toBe("DOWNGRADE_REFUSED");
    expect(
      codeOf(h, candidate({ version: "5.2.0", imageRef: ref("5.2.0"), digest: digestOf("5.2.0") })),
    ).toBe("ALREADY_LIVE");
    expect(codeOf(h, candidate({}))).toBe("allowed");
  });

  it.each([
    ["a tag naming another version", { imageRef: ref("5.3.9") }],
    [
      "a label naming another version",
      {
        imageRef: ref("deployment-01JV8Q"),
        labels: { "org.opencontainers.image.version": "5.3.9" },
      },
    ],
    ["a tag without the build the version has", { version: "5.4.0+build.2" }],
  ])("refuses an image with %s unless --force-version", (_name, overrides) => {
    const c = candidate(overrides);
    expect(codeOf(history(true), c)).toBe("IMAGE_NAMES_OTHER_VERSION");
    expect(codeOf(history(true), { ...c, forceVersion: true })).toBe("allowed");
  });

  it.each([
    ["a v-prefixed tag", { imageRef: ref("v5.4.0") }],
    ["a build tag with _ for +", { version: "5.4.0+build.2", imageRef: ref("5.4.0_build.2") }],
    [
      "a tag that is no version, and a matching label",
      {
        imageRef: ref("deployment-01JV8Q"),
        labels: { "org.opencontainers.image.version": "v5.4.0" },
      },
    ],
    ["a digest ref and no labels", { imageRef: `registry.fly.io/acme-web@${digestOf("5.4.0")}` }],
  ])("accepts an image whose own word agrees: %s", (_name, overrides) => {
    expect(codeOf(history(true), candidate(overrides))).toBe("allowed");
  });

  it("reads an image's own versions from its tag, then its label", () => {
    expect(imageOwnVersions(ref("3.1.0"), { "org.opencontainers.image.version": "3.2.0" })).toEqual(
      [
        { source: "tag", version: "3.1.0" },
        { source: "label", version: "3.2.0" },
      ],
    );
  });
});
