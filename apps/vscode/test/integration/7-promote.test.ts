import * as assert from "node:assert/strict";
import type { RolloutResult } from "@semfly/core";
import type { AppSpec, Emulator } from "@semfly/fly-emulator";
import * as vscode from "vscode";
import { Commands, Settings } from "../../src/constants.js";
import type { SemflyTestApi } from "../../src/extension.js";
import {
  appMachines,
  appNode,
  DEMO_APP,
  resetUserSettings,
  semfly,
  setUserSetting,
  useEmulator,
  waitFor,
  waitForLoaded,
} from "./helpers.js";
import { readExtensionLogs } from "./helpers-log.js";
import { ScriptedRollbackUi } from "./scriptedRollbackUi.js";

const STAGING = "acme-web-staging";

/** A staging app in acme-web's organisation: 3.2.0 live and healthy there, 3.3.0 failed. */
function stagingApp(): AppSpec {
  const ref = (v: string) => `registry.fly.io/${STAGING}:${v}`;
  return {
    name: STAGING,
    organization: { slug: "acme" },
    machineConfig: { app: { guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } } },
    images: ["3.2.0", "3.3.0"].map((v) => ({
      ref: ref(v),
      labels: { "org.opencontainers.image.version": v },
    })),
    releases: [
      { version: 1, image: ref("3.2.0"), createdAt: "2025-06-05T10:00:00Z" },
      { version: 2, image: ref("3.3.0"), status: "failed", createdAt: "2025-06-06T10:00:00Z" },
    ],
    machines: [{ region: "ams", release: 1 }],
  };
}

suite("Promote to …", () => {
  let api: SemflyTestApi;
  let emulator: Emulator;

  suiteSetup(async () => {
    api = await semfly();
    const { loadScenario, startEmulator } = await import("@semfly/fly-emulator");
    const scenario = await loadScenario("demo");
    scenario.apps.push(stagingApp());
    emulator = await startEmulator({ scenario, bootTimeMs: 100, checkDelayMs: 150 });
    // The workspace's fly.toml names acme-web; the staging app comes from the semfly.apps setting.
    await setUserSetting(Settings.apps, [STAGING]);
    // One batch: a deploy watches each batch for crash loops, and the strategy setting is the user's.
    await setUserSetting(Settings.rollbackStrategy, "immediate");
    await useEmulator(api, emulator);
    await waitForLoaded(api, STAGING);
  });

  suiteTeardown(async () => {
    api.setPromoteUi(undefined);
    await setUserSetting(Settings.apps, undefined);
    await setUserSetting(Settings.rollbackStrategy, undefined);
    await resetUserSettings();
    await emulator?.close();
  });

  async function promote(key: string, ui: ScriptedRollbackUi): Promise<RolloutResult | undefined> {
    api.setPromoteUi(ui);
    return vscode.commands.executeCommand<RolloutResult | undefined>(Commands.promote, {
      app: STAGING,
      key,
    });
  }

  const stagingDigest = () => emulator.images(STAGING).find((i) => i.tag === "3.2.0")!.digest;
  const targetDigests = () =>
    new Set(
      appMachines(emulator, DEMO_APP).map((m) => (m.image_ref as { digest?: string })?.digest),
    );

  test("changes nothing when the modal is declined", async () => {
    emulator.clearRequestLog();
    const ui = new ScriptedRollbackUi({ confirm: false });
    assert.equal(await promote("3.2.0", ui), undefined);
    assert.equal(ui.plans.length, 1);
    assert.equal(ui.plans[0]?.app, DEMO_APP);
    assert.deepEqual(emulator.mutatingRequests(), []);
  });

  test("promotes the staging version into the other app: its machines run the digest, the release records promotedFrom", async () => {
    const ui = new ScriptedRollbackUi();
    const result = await promote("3.2.0", ui);
    const plan = ui.plans[0]!;
    assert.equal(plan.app, DEMO_APP);
    assert.equal(plan.from?.version, "3.1.12");
    assert.equal(plan.to.version, "3.2.0");
    assert.equal(plan.to.digest, stagingDigest());
    assert.equal(plan.strategy, "immediate");
    assert.equal(result?.status, "complete", result?.reason ?? "");
    assert.deepEqual([...targetDigests()], [stagingDigest()]);
    assert.ok(
      ui.events.some((e) => e.type === "machine-updated"),
      "no per-machine progress",
    );
    const release = emulator.releases(DEMO_APP).at(-1)!;
    const recorded = emulator.release(DEMO_APP, release.version)?.metadata?.semfly as
      | { promotedFrom?: unknown }
      | undefined;
    assert.deepEqual(recorded?.promotedFrom, {
      app: STAGING,
      release: 1,
      digest: stagingDigest(),
    });
    assert.deepEqual(emulator.leases(DEMO_APP), []);
    assert.deepEqual(ui.messages.length, 1);
  });

  test("shows the promoted version live in the target's tree", async () => {
    await waitFor(
      "the tree to show 3.2.0 live on acme-web",
      () => appNode(api, DEMO_APP).item().description === "live 3.2.0",
    );
  });

  test("refuses a version that never went live in staging, and changes nothing", async () => {
    emulator.clearRequestLog();
    const ui = new ScriptedRollbackUi();
    assert.equal(await promote("3.3.0", ui), undefined);
    assert.equal(ui.plans.length, 0);
    assert.deepEqual(emulator.mutatingRequests(), []);
    // The refusal is the notification's sentence, and the log's.
    await waitFor("the refusal in the log", () =>
      readExtensionLogs(api.logUri).text.includes("semfly.promote failed"),
    );
    assert.match(readExtensionLogs(api.logUri).text, /3\.3\.0.*never went live/);
  });
});
