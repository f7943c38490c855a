/**
 * Shared by the suites (each suite file is bundled with its own copy). The emulator runs inside the
 * extension host, in this very process, and the extension is pointed at it the way a user would:
 * user-level settings for the endpoints, FLY_API_TOKEN in the environment for the token.
 */
import * as assert from "node:assert/strict";
import type { Emulator } from "@semfly/fly-emulator";
import * as vscode from "vscode";
import { Commands, EXTENSION_ID, NodeContext, Settings } from "../../src/constants.js";
import type { SemflyTestApi } from "../../src/extension.js";
import type { TreeNode } from "../../src/tree/treeItem.js";

export const DEMO_APP = "acme-web";

/** The app's Fly Launch machines, as a rollout counts them: the demo also has unmanaged ones. */
export function appMachines(emulator: Emulator, app = DEMO_APP) {
  return emulator
    .machines(app)
    .filter(
      (m) =>
        m.state !== "destroyed" &&
        m.config?.metadata?.fly_platform_version === "v2" &&
        !String(m.config?.metadata?.fly_process_group ?? "").startsWith("fly_app_"),
    );
}

export async function semfly(): Promise<SemflyTestApi> {
  const extension = vscode.extensions.getExtension<{ testing: SemflyTestApi } | undefined>(
    EXTENSION_ID,
  );
  assert.ok(extension, `${EXTENSION_ID} is not installed in the extension host`);
  const exports = await extension.activate();
  assert.ok(exports?.testing, "the extension did not return its test API (not in test mode?)");
  return exports.testing;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function setUserSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace
    .getConfiguration(Settings.section)
    .update(key, value, vscode.ConfigurationTarget.Global);
}

export async function startDemoEmulator(): Promise<Emulator> {
  // Loaded with import(): the emulator is ESM and finds its bundled scenarios next to its own files.
  const { startEmulator } = await import("@semfly/fly-emulator");
  return startEmulator({ scenario: "demo", bootTimeMs: 100, checkDelayMs: 150 });
}

/** Point the extension at the emulator as a user would, sign in through the environment, and load. */
export async function useEmulator(api: SemflyTestApi, emulator: Emulator): Promise<void> {
  await setUserSetting(Settings.apiBaseUrl, emulator.url);
  await setUserSetting(Settings.flapsBaseUrl, emulator.url);
  await setUserSetting(Settings.uiexBaseUrl, emulator.url);
  await setUserSetting(Settings.refreshIntervalSeconds, 0);
  process.env.FLY_API_TOKEN = emulator.token;
  await vscode.commands.executeCommand(Commands.refresh);
  await waitForLoaded(api);
}

export async function resetUserSettings(): Promise<void> {
  for (const key of [
    Settings.apiBaseUrl,
    Settings.flapsBaseUrl,
    Settings.uiexBaseUrl,
    Settings.refreshIntervalSeconds,
  ]) {
    await setUserSetting(key, undefined);
  }
}

export async function waitForLoaded(api: SemflyTestApi, app = DEMO_APP) {
  return waitFor(`${app} to load`, () => {
    const load = api.model.get(app)?.load;
    if (load?.state === "error") throw new Error(`${app} failed to load: ${load.error.message}`);
    return load?.state === "loaded" ? load.history : undefined;
  });
}

export function roots(api: SemflyTestApi): TreeNode[] {
  return api.provider.getChildren();
}

// Nodes are matched by their data, not with instanceof: the suites bundle their own copy of the classes.
export function appNode(api: SemflyTestApi, app = DEMO_APP): TreeNode {
  const node = roots(api).find((n) => n.item().id === `app/${app}`);
  assert.ok(node, `no tree row for ${app}`);
  return node;
}

export function versionNodes(api: SemflyTestApi, app = DEMO_APP): TreeNode[] {
  return api.provider
    .getChildren(appNode(api, app))
    .filter((n) => n.item().contextValue.split(";")[0] === NodeContext.version);
}
