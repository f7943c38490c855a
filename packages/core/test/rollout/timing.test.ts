import { describe, expect, it } from "vitest";
import { DEFAULT_TIMING, parseRolloutTiming } from "../../src/index.js";

describe("the engine's timing", () => {
  it("defaults to the real values: 5 s wait slices, flyctl's 10 s crash watch", () => {
    expect(DEFAULT_TIMING).toMatchObject({ waitSliceSeconds: 5, crashWatchMs: 10_000 });
  });

  it("reads overrides from JSON, and nothing from an empty value", () => {
    expect(parseRolloutTiming(undefined)).toEqual({});
    expect(parseRolloutTiming(" ")).toEqual({});
    expect(parseRolloutTiming('{"waitSliceSeconds":1,"crashWatchMs":0}')).toEqual({
      waitSliceSeconds: 1,
      crashWatchMs: 0,
    });
  });

  it.each(["nope", "[]", '{"unknownKey":1}', '{"crashWatchMs":"1s"}', '{"crashPollMs":-1}'])(
    "refuses %s as bad input",
    (text) => {
      expect(() => parseRolloutTiming(text)).toThrow(
        expect.objectContaining({ code: "INVALID_TIMING", kind: "input" }),
      );
    },
  );
});
