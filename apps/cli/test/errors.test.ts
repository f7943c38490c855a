import { Errors } from "@oclif/core";
import { describe, expect, it } from "vitest";
import { debugEnabled, describeError, oneLine } from "../src/errors.js";

describe("one-line errors", () => {
  it("keeps the gist of oclif's multi-line parse errors", () => {
    expect(
      oneLine(
        "The following error occurred:\n  \u001b[2mExpected an integer but received: x\u001b[22m\nSee more help with --help",
      ),
    ).toBe("Expected an integer but received: x");
  });

  it("maps a parse error to exit 2 with a pointer to the command's help", () => {
    const error = Object.assign(
      new Errors.CLIError("Nonexistent flag: --force\nSee more help with --help"),
      {
        parse: {},
      },
    );
    expect(describeError(error, "rollback", "semfly")).toEqual({
      code: "INVALID_ARGUMENTS",
      message: "Nonexistent flag: --force",
      suggestion: "See `semfly rollback --help`.",
      exitCode: 2,
    });
  });

  it("maps an unexpected error to exit 1", () => {
    expect(describeError(new TypeError("x is undefined"), "versions", "semfly")).toMatchObject({
      code: "UNEXPECTED",
      message: "x is undefined",
      exitCode: 1,
    });
  });
});

describe("DEBUG patterns", () => {
  it.each([
    ["semfly*", true],
    ["semfly:*", true],
    ["*", true],
    ["oclif:*", false],
    ["*,-semfly:*", false],
    ["", false],
  ])("%j enables semfly's request log: %s", (pattern, enabled) => {
    expect(debugEnabled(pattern)).toBe(enabled);
  });
});
