import * as assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Emulator } from "@semfly/fly-emulator";
import * as vscode from "vscode";
import { Commands } from "../../src/constants.js";
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

suite("flyctl's login (config.yml in FLY_CONFIG_DIR)", () => {
  let api: SemflyTestApi;
  let emulator: Emulator;
  let configDir: string;

  async function loginAs(token: string): Promise<void> {
    await writeFile(path.join(configDir, "config.yml"), `access_token: ${token}\n`);
    delete process.env.FLY_API_TOKEN;
    delete process.env.FLY_ACCESS_TOKEN;
    process.env.FLY_CONFIG_DIR = configDir;
    await vscode.commands.executeCommand(Commands.refresh);
  }

  suiteSetup(async () => {
    api = await semfly();
    emulator = await startDemoEmulator();
    await useEmulator(api, emulator);
    configDir = await mkdtemp(path.join(tmpdir(), "semfly-fly-config-"));
    // Nothing kept in secret storage may answer in place of the file.
    await vscode.commands.executeCommand(Commands.signOut);
  });

  suiteTeardown(async () => {
    delete process.env.FLY_CONFIG_DIR;
    process.env.FLY_API_TOKEN = emulator.token;
    await vscode.commands.executeCommand(Commands.refresh);
    await resetUserSettings();
    await emulator?.close();
    await rm(configDir, { recursive: true, force: true });
  });

  test("signs in with the token `fly auth login` saved", async () => {
    await loginAs(emulator.token);
    await waitFor("signed in", () => api.state.isSignedIn);
    const history = await waitForLoaded(api);
    assert.equal(history.live?.version, "3.1.12");
  });

  test("says an expired login may have expired, and how to refresh it", async () => {
    await loginAs("fm2_expired_login_token");
    const error = await waitFor("the load to fail", () => {
      const load = api.model.get(DEMO_APP)?.load;
      return load?.state === "error" ? load.error : undefined;
    });
    assert.equal(error.code, "UNAUTHORIZED");
    assert.match(error.message, /the token from .*config\.yml may have expired$/);
    assert.match(error.suggestion ?? "", /`fly auth login`/);
    assert.ok(!error.message.includes("fm2_expired_login_token"));
  });
});
