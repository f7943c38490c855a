import { describe, expect, it } from "vitest";
import { imagesNeedingLabels, releaseHasNoImage } from "../../src/versions/identify.js";
import { digestOf, release } from "../builders.js";

const TAGGED = "registry.fly.io/acme-web:3.1.12";
const flyctlTag = (n: number) => `registry.fly.io/acme-web:deployment-01HZX${n}ABCDEFGHJKMNPQRSTV`;

describe("imagesNeedingLabels", () => {
  it("asks once per digest that neither metadata nor tag versions, naming its newest release", () => {
    const releases = [
      release({ version: 1, imageRef: flyctlTag(1), imageDigest: digestOf("a") }),
      release({ version: 2, imageRef: flyctlTag(1), imageDigest: digestOf("a"), reason: "scale" }),
      release({ version: 3, imageRef: TAGGED, imageDigest: digestOf("3.1.12") }),
      release({ version: 4, imageRef: flyctlTag(2), imageDigest: digestOf("b") }),
    ];
    expect(imagesNeedingLabels(releases, new Set())).toEqual([
      { digest: digestOf("a"), release: 2, ref: flyctlTag(1) },
      { digest: digestOf("b"), release: 4, ref: flyctlTag(2) },
    ]);
  });

  it("skips digests already known and digests another release names by tag or metadata", () => {
    const releases = [
      release({ version: 1, imageRef: TAGGED, imageDigest: digestOf("3.1.12") }),
      // A later deploy of the same image by digest, without a version of its own.
      release({
        version: 2,
        imageRef: `registry.fly.io/acme-web@${digestOf("3.1.12")}`,
        imageDigest: digestOf("3.1.12"),
      }),
      release({ version: 3, imageRef: flyctlTag(3), imageDigest: digestOf("c") }),
      release({
        version: 4,
        imageRef: flyctlTag(4),
        imageDigest: digestOf("d"),
        metadata: { semfly: { version: "4.0.0" } },
      }),
    ];
    expect(imagesNeedingLabels(releases, new Set([digestOf("c")]))).toEqual([]);
  });

  it("has nothing to ask about a release whose image Fly pruned (no digest)", () => {
    expect(
      imagesNeedingLabels([release({ version: 1, imageRef: flyctlTag(1) })], new Set()),
    ).toEqual([]);
  });
});

describe("releaseHasNoImage", () => {
  it.each([
    ["a secrets release recorded without an image", { imageRef: null }, true],
    ["a deploy by tag", { imageRef: TAGGED }, false],
    ["a release Fly knows the image digest of", { imageDigest: digestOf("x") }, false],
    // semfly's own record names the version even where Fly lost the ref.
    [
      "a release semfly recorded a version on",
      { metadata: { semfly: { version: "1.0.0" } } },
      false,
    ],
  ])("%s: %s", (_name, overrides, expected) => {
    expect(releaseHasNoImage(release({ version: 9, ...overrides }))).toBe(expected);
  });
});
