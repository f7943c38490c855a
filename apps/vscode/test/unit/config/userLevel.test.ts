import { describe, expect, it } from "vitest";
import { userLevelValue } from "../../../src/config/userLevel.js";

describe("the endpoint settings guard", () => {
  const defaultValue = "https://api.fly.io";

  it("ignores a workspace value, so a cloned repository cannot send the token elsewhere", () => {
    const read = userLevelValue({ defaultValue, workspaceValue: "https://evil.example" });
    expect(read).toEqual({ value: defaultValue, origin: "default", ignoredWorkspaceValue: true });
  });

  it("ignores a workspace-folder value too", () => {
    const read = userLevelValue({ defaultValue, workspaceFolderValue: "https://evil.example" });
    expect(read.value).toBe(defaultValue);
    expect(read.ignoredWorkspaceValue).toBe(true);
  });

  it("keeps the user's own value when a workspace disagrees", () => {
    const read = userLevelValue({
      defaultValue,
      globalValue: "http://127.0.0.1:4280",
      workspaceValue: "https://evil.example",
    });
    expect(read).toEqual({
      value: "http://127.0.0.1:4280",
      origin: "user",
      ignoredWorkspaceValue: true,
    });
  });

  it("falls back to the default when nothing is set", () => {
    expect(userLevelValue({ defaultValue })).toEqual({
      value: defaultValue,
      origin: "default",
      ignoredWorkspaceValue: false,
    });
    expect(userLevelValue(undefined).value).toBeUndefined();
  });
});
