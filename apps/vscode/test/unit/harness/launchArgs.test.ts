import { describe, expect, it } from "vitest";
import { parseLaunchArgs } from "../../harness/launchArgs.js";

describe("the code-server launcher's arguments", () => {
  it("maps what runTests passes to the VS Code executable", () => {
    const args = parseLaunchArgs([
      "/tmp/ws",
      "--user-data-dir=/tmp/ud",
      "--extensions-dir",
      "/tmp/ext",
      "--disable-extensions",
      "--no-sandbox",
      "--extensionTestsPath=/repo/apps/vscode/test-output/integration/index.js",
      "--extensionDevelopmentPath=/repo/apps/vscode",
    ]);
    expect(args).toEqual({
      extensionDevelopmentPaths: ["/repo/apps/vscode"],
      extensionTestsPath: "/repo/apps/vscode/test-output/integration/index.js",
      userDataDir: "/tmp/ud",
      extensionsDir: "/tmp/ext",
      folder: "/tmp/ws",
      ignored: ["--disable-extensions", "--no-sandbox"],
    });
  });

  it("refuses a flag without its value", () => {
    expect(() => parseLaunchArgs(["--user-data-dir"])).toThrow("--user-data-dir needs a value");
  });
});
