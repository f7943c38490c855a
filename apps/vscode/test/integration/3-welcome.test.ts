import * as assert from "node:assert/strict";
import type { Emulator } from "@semfly/fly-emulator";
import * as vscode from "vscode";
import { Commands, ContextKeys, EXTENSION_ID, VERSIONS_VIEW_ID } from "../../src/constants.js";
import type { SemflyTestApi } from "../../src/extension.js";
import {
  resetUserSettings,
  roots,
  semfly,
  startDemoEmulator,
  useEmulator,
  waitFor,
} from "./helpers.js";

suite("Welcome view", () => {
  let api: SemflyTestApi;
  let emulator: Emulator;

  suiteSetup(async () => {
    api = await semfly();
    emulator = await startDemoEmulator();
    await useEmulator(api, emulator);
  });

  suiteTeardown(async () => {
    process.env.FLY_API_TOKEN = emulator.token;
    await vscode.commands.executeCommand(Commands.refresh);
    await resetUserSettings();
    await emulator?.close();
  });

  test("a missing token empties the tree so the sign-in welcome shows", async () => {
    assert.ok(roots(api).length > 0);
    delete process.env.FLY_API_TOKEN;
    delete process.env.FLY_ACCESS_TOKEN;
    await vscode.commands.executeCommand(Commands.signOut);
    await waitFor("signed out", () => !api.state.isSignedIn);
    assert.deepEqual(roots(api), []);

    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const welcome = (
      manifest.contributes.viewsWelcome as { view: string; when: string; contents: string }[]
    ).find((w) => w.view === VERSIONS_VIEW_ID && w.when.includes(`!${ContextKeys.signedIn}`));
    assert.ok(welcome?.contents.includes(`command:${Commands.setToken}`));
  });

  test("sends no request while signed out", async () => {
    emulator.clearRequestLog();
    await vscode.commands.executeCommand(Commands.refresh);
    assert.deepEqual(emulator.requestLog, []);
  });

  test("the token from the environment signs in again", async () => {
    process.env.FLY_API_TOKEN = emulator.token;
    await vscode.commands.executeCommand(Commands.refresh);
    await waitFor("the app to show", () => roots(api).length === 1);
  });
});
