import * as assert from "node:assert/strict";
import type { RolloutResult } from "@semfly/core";
import type { Emulator } from "@semfly/fly-emulator";
import * as vscode from "vscode";
import { Commands } from "../../src/constants.js";
import type { SemflyTestApi } from "../../src/extension.js";
import {
  appMachines,
  appNode,
  DEMO_APP,
  resetUserSettings,
  semfly,
  startDemoEmulator,
  useEmulator,
  versionNodes,
  waitFor,
} from "./helpers.js";
import { ScriptedRollbackUi } from "./scriptedRollbackUi.js";

suite("Roll back to this version", () => {
  let api: SemflyTestApi;
  let emulator: Emulator;

  suiteSetup(async () => {
    api = await semfly();
    emulator = await startDemoEmulator();
    await useEmulator(api, emulator);
  });

  suiteTeardown(async () => {
    api.setRollbackUi(undefined);
    await resetUserSettings();
    await emulator?.close();
  });

  async function rollBack(key: string, ui: ScriptedRollbackUi): Promise<RolloutResult | undefined> {
    api.setRollbackUi(ui);
    return vscode.commands.executeCommand<RolloutResult | undefined>(Commands.rollback, {
      app: DEMO_APP,
      key,
    });
  }

  const images = () => new Set(appMachines(emulator).map((m) => m.config?.image));

  test("changes nothing when the modal is declined", async () => {
    emulator.clearRequestLog();
    const ui = new ScriptedRollbackUi({ confirm: false });
    assert.equal(await rollBack("3.1.11", ui), undefined);
    assert.equal(ui.plans.length, 1);
    assert.deepEqual(emulator.mutatingRequests(), []);
  });

  test("asks with app, from → to, machine count and strategy, then updates the emulator's machines", async () => {
    const ui = new ScriptedRollbackUi();
    const result = await rollBack("3.1.11", ui);
    const plan = ui.plans[0]!;
    assert.equal(plan.app, DEMO_APP);
    assert.equal(plan.from?.version, "3.1.12");
    assert.equal(plan.to.version, "3.1.11");
    assert.equal(plan.strategy, "rolling");
    assert.equal(plan.machines.length, appMachines(emulator).length);
    assert.equal(result?.status, "complete", result?.reason ?? "");
    assert.deepEqual([...images()], [plan.to.image]);
    assert.ok(
      ui.events.some((e) => e.type === "machine-updated"),
      "no per-machine progress",
    );
    assert.equal(ui.results[0]?.undoTarget?.version, "3.1.12");
    // As `semfly rollback` does: frozen on 3.1.11, so a CI deploy cannot silently undo it.
    const freezes = appMachines(emulator).map((m) => String(m.config?.metadata?.semfly_freeze));
    assert.ok(
      freezes.every((f) => f.includes('"version":"3.1.11"')),
      `not frozen on 3.1.11: ${freezes.join(" | ")}`,
    );
  });

  test("shows the new live version in the tree", async () => {
    await waitFor(
      "the tree to show 3.1.11 live",
      () => appNode(api).item().description === "live 3.1.11",
    );
  });

  test("Undo rolls back to the version that was live before", async () => {
    const ui = new ScriptedRollbackUi({ undo: true });
    const result = await rollBack("3.1.10", ui);
    assert.deepEqual(
      ui.plans.map((p) => `${p.from?.version} → ${p.to.version}`),
      ["3.1.11 → 3.1.10", "3.1.10 → 3.1.11"],
    );
    assert.equal(result?.status, "complete");
    assert.deepEqual([...images()], [ui.plans[1]!.to.image]);
  });

  test("a version row shows its newest release's age and user, its first deploy in the tooltip", async () => {
    // 3.1.10 was first deployed as v17 long ago; the rollback above just made a release of it.
    const row = await waitFor("the 3.1.10 row to show its new release", () => {
      const node = versionNodes(api).find((n) => n.item().label === "3.1.10");
      const item = node?.item();
      return item?.description?.includes("just now") ? item : undefined;
    });
    const newest = api.model.history(DEMO_APP)!.versions.find((v) => v.version === "3.1.10")!
      .releases[0]!;
    assert.equal(row.description, `v${newest.version} · just now · alice@…`);
    assert.ok(
      row.tooltip?.includes(`Newest release: v${newest.version} by alice@acme\\.test`),
      row.tooltip,
    );
    assert.match(row.tooltip ?? "", /First deployed: v17 by alice@acme\\\.test, 2025-/);
  });

  test("cancel interrupts safely through core and leaves no lease held", async () => {
    const ui = new ScriptedRollbackUi({ cancelOn: "machine-updated" });
    const result = await rollBack("3.1.9", ui);
    assert.equal(result?.status, "interrupted");
    const updated = result!.machines.filter((m) => m.result === "updated").length;
    assert.ok(updated < result!.machines.length, "every machine was updated despite the cancel");
    assert.deepEqual(emulator.leases(DEMO_APP), []);
    assert.ok(ui.events.some((e) => e.type === "lease-released"));
    // The notification: one sentence, the interruption said once, one machine-count form.
    const total = result!.machines.length;
    assert.deepEqual(ui.messages, [
      `Rollback of ${DEMO_APP} to 3.1.9 was interrupted after ${updated} of ${total} machine${total === 1 ? "" : "s"}; run it again to finish, or undo.`,
    ]);
    assert.doesNotMatch(ui.messages[0]!, /\.\.|\(s\)/);
    // The tree shows the mixed state the interruption left.
    await waitFor("the tree to show the drift", () =>
      appNode(api).item().description?.includes("drift"),
    );
  });
});
