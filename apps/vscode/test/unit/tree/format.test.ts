import { describe, expect, it } from "vitest";
import {
  code,
  escapeMarkdown,
  formatAge,
  formatClock,
  formatTimestamp,
  formatUntil,
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

describe("formatClock and formatUntil", () => {
  it("shows a moment of the same day as its time, another day with its date", () => {
    expect(formatClock("2026-11-26T14:05:00Z", NOW, true)).toBe("14:05");
    expect(formatClock("2026-11-27T09:30:00Z", NOW, true)).toBe("27 Nov 09:30");
    expect(formatClock("2027-01-02T00:00:00Z", NOW, true)).toBe("2 Jan 2027 00:00");
    expect(formatClock("not a date", NOW, true)).toBeNull();
  });

  it("reads the reader's clock unless told UTC", () => {
    const local = new Date("2026-11-26T14:05:00Z");
    const hhmm = `${String(local.getHours()).padStart(2, "0")}:${String(local.getMinutes()).padStart(2, "0")}`;
    expect(formatClock(local.toISOString(), NOW)).toContain(hhmm);
  });

  it("says how far ahead a moment is, and how long ago once it has passed", () => {
    expect(formatUntil("2026-11-26T12:00:30Z", NOW)).toBe("in less than a minute");
    expect(formatUntil("2026-11-26T12:05:00Z", NOW)).toBe("in 5 min");
    expect(formatUntil("2026-11-27T11:00:00Z", NOW)).toBe("in 23 h");
    expect(formatUntil("2026-11-29T12:00:00Z", NOW)).toBe("in 3 d");
    expect(formatUntil(ago(2 * 3_600_000), NOW)).toBe("2 h ago");
    expect(formatUntil(null, NOW)).toBeNull();
  });
});
