import { describe, expect, it } from "vitest";
import { parseDuration, parseMaxUnavailable } from "../src/parse.js";

describe("durations as flyctl writes them", () => {
  it.each([
    ["90s", 90_000],
    ["5m", 300_000],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    ["2h45m10s", 9_910_000],
  ])("reads %s as %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "90", "5 m", "m", "-5m", "1d", "soon", "1m30"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe("--max-unavailable", () => {
  it.each([
    ["0.33", 0.33],
    ["2", 2],
    [".5", 0.5],
  ])("reads %s", (text, value) => {
    expect(parseMaxUnavailable(text)).toBe(value);
  });

  it.each(["half", "", "1/3", "-1", "1e3", "1.5", "0", "0.0", "99999999999999999999"])(
    "refuses %j",
    (text) => {
      expect(parseMaxUnavailable(text)).toBeNull();
    },
  );
});
