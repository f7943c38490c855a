import * as assert from "node:assert/strict";
import type { Emulator } from "@semfly/fly-emulator";
import * as vscode from "vscode";
import { Commands, Settings } from "../../src/constants.js";
import type { SemflyTestApi } from "../../src/extension.js";
import { DEMO_APP, roots, semfly, setUserSetting, startDemoEmulator } from "./helpers.js";

suite("An untrusted workspace", () => {
  let api: SemflyTestApi;
  let emulator: Emulator;

  suiteSetup(async () => {
    // The harness runs this session only where trust can stay on; a trusted window here is a broken run.
    assert.equal(vscode.workspace.isTrusted, false, "this session must open in restricted mode");
    api = await semfly();
    emulator = await startDemoEmulator();
    // Everything a signed-in user has: endpoints in user settings, a token in the environment.
    await setUserSetting(Settings.apiBaseUrl, emulator.url);
    await setUserSetting(Settings.flapsBaseUrl, emulator.url);
    await setUserSetting(Settings.uiexBaseUrl, emulator.url);
    process.env.FLY_API_TOKEN = emulator.token;
  });

  suiteTeardown(async () => {
    await emulator?.close();
  });

  test("opens in restricted mode", () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test("shows no app and sends no request, so the trust welcome shows", async () => {
    await vscode.commands.executeCommand(Commands.refresh);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(roots(api), []);
    assert.deepEqual(emulator.requestLog, []);
  });

  test("refuses to roll back without sending the token", async () => {
    const result = await vscode.commands.executeCommand(Commands.rollback, {
      app: DEMO_APP,
      key: "3.1.11",
    });
    assert.equal(result, undefined);
    assert.deepEqual(emulator.requestLog, []);
  });
});
