import { describe, expect, it } from "vitest";
import { closestCommand, editDistance } from "../src/did-you-mean.js";

const COMMANDS = ["deploy", "diff", "releases", "rollback", "status", "versions"];

describe("the command a mistyped one was meant to be", () => {
  it.each([
    ["rollbak", "rollback"],
    ["verions", "versions"],
    ["stauts", "status"],
    ["relases", "releases"],
    ["Deploy", "deploy"],
    ["dif", "diff"],
  ])("reads %s as %s", (typed, meant) => {
    expect(closestCommand(typed, COMMANDS)).toBe(meant);
  });

  it.each(["frobnicate", "x", "undo"])(
    "guesses nothing for %s: too far from any command",
    (typed) => {
      expect(closestCommand(typed, COMMANDS)).toBeNull();
    },
  );

  it("counts a swap of two neighbouring letters as one edit", () => {
    expect(editDistance("stauts", "status")).toBe(1);
    expect(editDistance("rollbak", "rollback")).toBe(1);
    expect(editDistance("", "diff")).toBe(4);
  });
});
