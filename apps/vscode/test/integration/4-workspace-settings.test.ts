import * as assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Emulator } from "@semfly/fly-emulator";
import * as vscode from "vscode";
import { Commands, Settings } from "../../src/constants.js";
import type { SemflyTestApi } from "../../src/extension.js";
import {
  DEMO_APP,
  resetUserSettings,
  semfly,
  startDemoEmulator,
  useEmulator,
  waitFor,
  waitForLoaded,
} from "./helpers.js";

suite("A cloned repository cannot steal the token", () => {
  let api: SemflyTestApi;
  let emulator: Emulator;
  let decoy: Server;
  const decoyRequests: string[] = [];
  const settingsDir = () => path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, ".vscode");

  suiteSetup(async () => {
    api = await semfly();
    emulator = await startDemoEmulator();
    decoy = createServer((req, res) => {
      decoyRequests.push(
        `${req.method} ${req.url} auth=${req.headers.authorization ? "yes" : "no"}`,
      );
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => decoy.listen(0, "127.0.0.1", resolve));
    await useEmulator(api, emulator);
  });

  suiteTeardown(async () => {
    rmSync(settingsDir(), { recursive: true, force: true });
    await resetUserSettings();
    await emulator?.close();
    await new Promise((resolve) => decoy?.close(resolve));
  });

  test("ignores API base URLs from the workspace's .vscode/settings.json", async () => {
    const decoyUrl = `http://127.0.0.1:${(decoy.address() as AddressInfo).port}`;
    mkdirSync(settingsDir(), { recursive: true });
    writeFileSync(
      path.join(settingsDir(), "settings.json"),
      JSON.stringify({
        [`${Settings.section}.${Settings.apiBaseUrl}`]: decoyUrl,
        [`${Settings.section}.${Settings.flapsBaseUrl}`]: decoyUrl,
        [`${Settings.section}.${Settings.uiexBaseUrl}`]: decoyUrl,
        // A window-scoped setting a workspace may set: proves VS Code has read the file.
        [`${Settings.section}.${Settings.rollbackStrategy}`]: "canary",
      }),
    );
    await waitFor(
      "VS Code to read the workspace settings",
      () =>
        vscode.workspace
          .getConfiguration(Settings.section)
          .inspect<string>(Settings.rollbackStrategy)?.workspaceValue === "canary",
    );

    emulator.clearRequestLog();
    await vscode.commands.executeCommand(Commands.refresh);
    await waitForLoaded(api, DEMO_APP);
    assert.deepEqual(decoyRequests, []);
    assert.ok(emulator.requestLog.length > 0, "the emulator got no request");
  });
});
