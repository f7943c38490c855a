import * as assert from "node:assert/strict";
import path from "node:path";
import type { Emulator } from "@semfly/fly-emulator";
import * as vscode from "vscode";
import {
  Commands,
  DIFF_SCHEME,
  EXTENSION_ID,
  Settings,
  VERSIONS_VIEW_ID,
} from "../../src/constants.js";
import type { SemflyTestApi } from "../../src/extension.js";
import {
  appNode,
  resetUserSettings,
  semfly,
  setUserSetting,
  startDemoEmulator,
  useEmulator,
  versionNodes,
  waitFor,
} from "./helpers.js";
import { readExtensionLogs } from "./helpers-log.js";

suite("Fly Versions tree", () => {
  let api: SemflyTestApi;
  let emulator: Emulator;

  suiteSetup(async () => {
    api = await semfly();
    emulator = await startDemoEmulator();
    await useEmulator(api, emulator);
  });

  suiteTeardown(async () => {
    await resetUserSettings();
    await emulator?.close();
  });

  test("registers every command the manifest contributes", async () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const { command } of manifest.contributes.commands as { command: string }[]) {
      assert.ok(registered.has(command), `${command} is contributed but not registered`);
    }
  });

  test("finds the app from the workspace's fly.toml", () => {
    const app = appNode(api).item();
    assert.equal(app.label, "acme-web");
    assert.equal(app.description, "live 3.1.12");
    const flyToml = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, "fly.toml");
    assert.ok(app.tooltip?.includes(`From fly.toml (\`${flyToml}\`)`), app.tooltip);
  });

  test("shows the emulator's versions, highest first, the live one marked", () => {
    const rows = versionNodes(api).map((n) => n.item());
    assert.deepEqual(
      rows.map((r) => r.label),
      ["3.1.12", "3.1.11", "3.1.10", "3.1.9"],
    );
    assert.equal(rows[0]!.description, "live");
    assert.match(rows[1]!.description ?? "", /^v\d+ · .+ ago · \w+@…$/);
    assert.ok(
      !rows[0]!.contextValue.includes("canRollBack"),
      "roll back offered on the live version",
    );
    assert.ok(rows[1]!.contextValue.includes("canRollBack"));
  });

  test("lists the Fly releases and machines under the live version", () => {
    const live = versionNodes(api)[0]!;
    const groups = api.provider.getChildren(live);
    assert.deepEqual(
      groups.map((g) => g.item().label),
      ["Fly releases", "Machines"],
    );
    const machines = api.provider.getChildren(groups[1]).map((n) => n.item());
    // The Fly Launch machines; the demo's debug machine is under "Not managed".
    const managed = emulator
      .machines("acme-web")
      .filter(
        (m) =>
          m.config?.metadata?.fly_platform_version === "v2" &&
          m.state !== "destroyed" &&
          !m.config?.metadata?.fly_process_group?.startsWith("fly_app_"),
      );
    assert.equal(machines.length, managed.length);
    for (const machine of machines) {
      assert.match(
        machine.description ?? "",
        /^[a-z]{3} · \w+ · (started|stopped · (cold|standby))/,
      );
    }
  });

  test("turns rows into tree items with ids, icons and tooltips", () => {
    const item = api.provider.getTreeItem(versionNodes(api)[0]!);
    assert.equal(item.id, "app/acme-web/version/3.1.12");
    assert.ok(item.iconPath instanceof vscode.ThemeIcon);
    assert.ok(item.tooltip instanceof vscode.MarkdownString);
    assert.match((item.tooltip as vscode.MarkdownString).value, /Digest: `sha256:/);
  });

  test("copies a version's image digest", async () => {
    const entry = api.model.history("acme-web")!.versions[1]!;
    await vscode.commands.executeCommand(Commands.copyDigest, { app: "acme-web", key: entry.key });
    assert.equal(await vscode.env.clipboard.readText(), entry.digest);
  });

  test("compares a version with live in a read-only diff document", async () => {
    await vscode.commands.executeCommand(Commands.compareWithLive, {
      app: "acme-web",
      key: "3.1.11",
    });
    const editor = await waitFor("the diff document", () =>
      vscode.window.activeTextEditor?.document.uri.scheme === DIFF_SCHEME
        ? vscode.window.activeTextEditor
        : undefined,
    );
    const text = editor.document.getText();
    assert.match(text, /^--- acme-web 3\.1\.12 \(live\)\n\+\+\+ acme-web 3\.1\.11 \(previous\)/);
    assert.equal(editor.document.languageId, "diff");
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  });

  test("refreshes on its interval only while the view is visible", async () => {
    await setUserSetting(Settings.refreshIntervalSeconds, 5);
    try {
      await vscode.commands.executeCommand("workbench.view.explorer");
      emulator.clearRequestLog();
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      assert.deepEqual(emulator.requestLog, [], "refreshed while the view was hidden");
      await vscode.commands.executeCommand(`${VERSIONS_VIEW_ID}.focus`);
      await waitFor("a refresh while visible", () => emulator.requestLog.length > 0, 8_000);
    } finally {
      await setUserSetting(Settings.refreshIntervalSeconds, 0);
    }
  });

  test("never writes the token to the log", async () => {
    await vscode.commands.executeCommand("semfly.showLog");
    // The output channel flushes to its file asynchronously.
    const log = await waitFor("the log file", () => {
      const { text } = readExtensionLogs(api.logUri);
      return text.includes("Using the Fly token") ? text : undefined;
    });
    assert.ok(log.includes("Using the Fly token from FLY_API_TOKEN"), "the log is empty");
    assert.ok(!log.includes(emulator.token), "the token is in the log");
  });
});
