import { describe, expect, it } from "vitest";
import { colorEnabled } from "../../src/render/color.js";
import { releaseRanges, shortDigest, versionLabel } from "../../src/render/format.js";
import { timeAgo } from "../../src/render/time.js";

describe("formatting", () => {
  it("collapses runs of release numbers, highest first", () => {
    const releases = [28, 27, 26, 24, 22, 21, 3].map((version) => ({ version }));
    expect(releaseRanges(releases)).toBe("v26-v28, v24, v21-v22, v3");
    expect(releaseRanges([])).toBe("-");
  });

  it("shortens digests and names unversioned images by them", () => {
    expect(shortDigest("sha256:ed5c6ce26bc7cf3f7a197ee6")).toBe("sha256:ed5c6ce26bc7");
    expect(versionLabel({ version: null, key: "sha256:ed5c6ce26bc7cf3f7a197ee6" })).toBe(
      "sha256:ed5c6ce26bc7",
    );
    expect(versionLabel({ version: "1.2.3", key: "1.2.3" })).toBe("1.2.3");
  });

  it.each([
    ["2025-06-11T11:59:58Z", "just now"],
    ["2025-06-11T11:59:00Z", "60s ago".replace("60s", "1m")],
    ["2025-06-11T09:00:00Z", "3h ago"],
    ["2025-06-01T12:00:00Z", "10d ago"],
    ["2025-01-01T12:00:00Z", "5mo ago"],
    ["2022-01-01T12:00:00Z", "3y ago"],
    ["2030-01-01T00:00:00Z", "just now"],
  ])("writes %s as %s", (iso, text) => {
    expect(timeAgo(iso, Date.parse("2025-06-11T12:00:00Z"))).toBe(text);
  });

  it("colours only a terminal, never with NO_COLOR", () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
  });
});
