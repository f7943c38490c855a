import { describe, expect, it } from "vitest";
import { parseRetryOptions } from "../../src/index.js";

describe("retry overrides from SEMFLY_RETRY", () => {
  it("reads any of the policy's numbers from JSON, and nothing from an empty value", () => {
    expect(parseRetryOptions(undefined)).toEqual({});
    expect(parseRetryOptions(" ")).toEqual({});
    expect(parseRetryOptions('{"minDelayMs":5,"maxDelayMs":50,"retries":0}')).toEqual({
      minDelayMs: 5,
      maxDelayMs: 50,
      retries: 0,
    });
  });

  it.each([
    "fast",
    "[]",
    '{"attempts":3}',
    '{"minDelayMs":"5"}',
    '{"maxDelayMs":-1}',
    '{"retries":1.5}',
  ])("refuses %s as bad input", (text) => {
    expect(() => parseRetryOptions(text)).toThrow(
      expect.objectContaining({ code: "INVALID_RETRY", kind: "input" }),
    );
  });
});
