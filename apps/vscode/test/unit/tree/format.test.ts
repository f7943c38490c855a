import { describe, expect, it } from "vitest";
import {
  code,
  escapeMarkdown,
  formatAge,
  formatTimestamp,
  joinParts,
  shortUser,
} from "../../../src/tree/format.js";

const NOW = Date.parse("2026-11-26T12:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe("formatAge", () => {
  it.each([
    [ago(10_000), "just now"],
    [ago(5 * 60_000), "5 min ago"],
    [ago(2 * 3_600_000 + 59 * 60_000), "2 h ago"],
    [ago(3 * 86_400_000), "3 d ago"],
    [ago(65 * 86_400_000), "2 mo ago"],
    [ago(800 * 86_400_000), "2 y ago"],
    // A clock running behind Fly's must not print "in 3 min".
    [new Date(NOW + 180_000).toISOString(), "just now"],
  ])("says %s is %s", (iso, expected) => {
    expect(formatAge(iso, NOW)).toBe(expected);
  });

  it("says nothing for a missing or unparsable date", () => {
    expect(formatAge(null, NOW)).toBeNull();
    expect(formatAge("yesterday", NOW)).toBeNull();
  });
});

describe("text helpers", () => {
  it("shortens an email to its local part", () => {
    expect(shortUser("alice@example.com")).toBe("alice@…");
    expect(shortUser("deploy-bot")).toBe("deploy-bot");
    expect(shortUser(null)).toBeNull();
  });

  it("prints timestamps in UTC to the minute", () => {
    expect(formatTimestamp("2026-11-26T09:14:33.120Z")).toBe("2026-11-26 09:14 UTC");
  });

  it("joins only the parts that exist", () => {
    expect(joinParts("v27", null, "2 h ago", undefined, false, "", "alice@…")).toBe(
      "v27 · 2 h ago · alice@…",
    );
  });

  it("keeps user text literal in Markdown", () => {
    expect(escapeMarkdown("**boom** [x](y)")).toBe("\\*\\*boom\\*\\* \\[x\\]\\(y\\)");
    expect(code("a`b")).toBe("``a`b``");
  });
});
