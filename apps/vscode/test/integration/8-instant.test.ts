import * as assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import {
  createFlyClient,
  executeRollout,
  type InstantResult,
  PARKED_DIGEST_KEY,
  PARKED_UNTIL_KEY,
  PARKED_VERSION_KEY,
  parseRolloutTiming,
  prepareDeploy,
} from "@semfly/core";
import type { Emulator } from "@semfly/fly-emulator";
import * as vscode from "vscode";
import { Commands, NodeContext } from "../../src/constants.js";
import type { SemflyTestApi } from "../../src/extension.js";
import { formatClock, formatTimestamp } from "../../src/tree/format.js";
import type { TreeNode } from "../../src/tree/treeItem.js";
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

const tokens = (node: TreeNode) => node.item().contextValue.split(";");
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

suite("Roll back instantly to a parked version", () => {
  let api: SemflyTestApi;
  let emulator: Emulator;

  /** The machines semfly parked, and the ones that serve (the app's machines without them). */
  const parked = () =>
    emulator
      .machines(DEMO_APP)
      .filter((m) => m.state !== "destroyed" && m.config?.metadata?.[PARKED_UNTIL_KEY]);
  const serving = () =>
    appMachines(emulator).filter((m) => !m.config?.metadata?.[PARKED_UNTIL_KEY]);
  const ids = (machines: { id: string }[]) => machines.map((m) => m.id).sort();

  suiteSetup(async () => {
    api = await semfly();
    emulator = await startDemoEmulator();
    // 3.2.0 by bluegreen, through core as `semfly deploy --strategy bluegreen` does: 3.1.12 is parked.
    emulator.addImage(DEMO_APP, {
      ref: "registry.fly.io/acme-web:3.2.0",
      labels: { "org.opencontainers.image.version": "3.2.0" },
    });
    const client = createFlyClient({
      token: emulator.token,
      apiBaseUrl: emulator.url,
      flapsBaseUrl: emulator.url,
      uiexBaseUrl: emulator.url,
    });
    const { plan } = await prepareDeploy(client, DEMO_APP, {
      version: "3.2.0",
      imageRef: "registry.fly.io/acme-web:3.2.0",
      strategy: "bluegreen",
    });
    const deployed = await executeRollout(client, plan, {
      timing: parseRolloutTiming(process.env.SEMFLY_ROLLOUT_TIMING),
    });
    assert.equal(deployed.status, "complete", deployed.reason ?? "");
    assert.ok(parked().length > 0, "the bluegreen deploy parked nothing");
    await useEmulator(api, emulator);
  });

  suiteTeardown(async () => {
    api.setRollbackUi(undefined);
    await resetUserSettings();
    await emulator?.close();
  });

  async function rollBackInstantly(
    key: string,
    ui: ScriptedRollbackUi,
  ): Promise<InstantResult | undefined> {
    api.setRollbackUi(ui);
    return vscode.commands.executeCommand<InstantResult | undefined>(Commands.rollbackInstantly, {
      app: DEMO_APP,
      key,
    });
  }

  const versionRow = (label: string) => versionNodes(api).find((n) => n.item().label === label);
  const parkedRows = (row: TreeNode) =>
    api.provider.getChildren(row).filter((n) => tokens(n)[0] === NodeContext.parked);
  /**
   * The row of the version the parked machines run: 3.1.12, named only by its image labels (its release
   * has a `deployment-…` tag), which the parked machines still carry once no app machine runs it.
   */
  const parkedVersionRow = () => {
    const digest = parked()[0]!.config!.metadata![PARKED_DIGEST_KEY]!;
    const entry = api.model.history(DEMO_APP)?.versions.find((v) => v.digest === digest);
    assert.equal(entry?.version, "3.1.12", "the parked version lost its label");
    return versionNodes(api).find((n) => n.item().id.endsWith(`/version/${entry?.key}`));
  };

  test("shows the parked set under its version, with its expiry and machine count", async () => {
    const row = parkedVersionRow();
    assert.ok(row, "no row for the parked version");
    assert.ok(tokens(row).includes(NodeContext.canRollBackInstantly), row.item().contextValue);
    assert.equal(row.item().collapsible, "expanded");
    const [set] = parkedRows(row);
    assert.ok(set, "no parked row under 3.1.12");
    const until = parked()
      .map((m) => m.config!.metadata![PARKED_UNTIL_KEY]!)
      .sort()[0]!;
    const item = set.item();
    assert.equal(item.label, `parked until ${formatClock(until, Date.now())}`);
    assert.match(item.description ?? "", new RegExp(`^${parked().length} machines\\b`));
    assert.match(item.tooltip ?? "", /Roll Back Instantly starts them again/);
    assert.ok(tokens(set).includes(NodeContext.canRollBackInstantly));
    assert.ok(item.tooltip?.includes(formatTimestamp(until)!), item.tooltip);
    assert.deepEqual(
      api.provider
        .getChildren(set)
        .map((n) => n.item().id.split("/").at(-1))
        .sort(),
      ids(parked()),
    );
    // The live version offers no instant rollback, and parked machines are not "Not managed".
    assert.ok(!tokens(versionRow("3.2.0")!).includes(NodeContext.canRollBackInstantly));
    const notManaged = api.provider
      .getChildren(appNode(api))
      .find((n) => n.item().label === "Not managed");
    const listed = notManaged ? api.provider.getChildren(notManaged).map((n) => n.item().id) : [];
    for (const machine of parked()) {
      assert.ok(!listed.some((id) => id.endsWith(`/${machine.id}`)), `${machine.id} listed twice`);
    }
  });

  test("changes nothing when the modal is declined", async () => {
    emulator.clearRequestLog();
    const ui = new ScriptedRollbackUi({ confirm: false });
    const key = api.model
      .history(DEMO_APP)!
      .versions.find((v) => parkedVersionRow()?.item().id.endsWith(`/version/${v.key}`))!.key;
    assert.equal(await rollBackInstantly(key, ui), undefined);
    assert.equal(ui.instantChoices.length, 1);
    assert.deepEqual(emulator.mutatingRequests(), []);
  });

  test("starts the parked machines, parks the former version in exchange, and says so first", async () => {
    const parkedBefore = ids(parked());
    const servingBefore = ids(serving());
    const parkedDigest = parked()[0]!.config!.metadata![PARKED_DIGEST_KEY]!;
    const row = parkedVersionRow()!;
    const name = row.item().label;
    const key = row.item().id.split("/version/")[1]!;
    const ui = new ScriptedRollbackUi();
    const result = await rollBackInstantly(key, ui);

    const choice = ui.instantChoices[0]!;
    assert.equal(choice.message, `Roll back ${DEMO_APP} instantly from 3.2.0 to ${name}?`);
    assert.match(
      choice.detail,
      new RegExp(
        `Parks in exchange the ${servingBefore.length} machines of 3\\.2\\.0 that serve now .*until ${formatTimestamp(choice.keptUntil)}`,
      ),
    );
    assert.equal(result?.status, "complete", result?.reason ?? "");
    assert.deepEqual([...result!.restored].sort(), parkedBefore);
    assert.deepEqual(ids(serving()), parkedBefore);
    for (const machine of serving()) assert.equal(machine.image_ref?.digest, parkedDigest);
    assert.deepEqual(ids(parked()), servingBefore);
    for (const machine of parked()) {
      assert.equal(machine.config?.metadata?.[PARKED_VERSION_KEY], "3.2.0");
    }
    assert.deepEqual(emulator.leases(DEMO_APP), []);
    assert.ok(ui.events.some((e) => e.type === "checks-passing"));
    assert.deepEqual(ui.progressTitles, [`Rolling back ${DEMO_APP} instantly to ${name}`]);
    assert.match(
      ui.messages[0]!,
      new RegExp(
        `^${DEMO_APP} is on ${escapeRegExp(name)} \\(Fly release v\\d+\\): ${parkedBefore.length} machines started instantly; 3\\.2\\.0's ${servingBefore.length} machines are parked until `,
      ),
    );
  });

  test("the tree then shows 3.1.12 live and 3.2.0 parked, ready to undo instantly", async () => {
    await waitFor(
      "the tree to show 3.1.12 live",
      () => appNode(api).item().description === "live 3.1.12",
    );
    const former = versionRow("3.2.0")!;
    assert.ok(
      tokens(former).includes(NodeContext.canRollBackInstantly),
      former.item().contextValue,
    );
    assert.equal(parkedRows(former).length, 1);
    assert.ok(!tokens(versionRow("3.1.12")!).includes(NodeContext.canRollBackInstantly));
  });

  test("Undo on the result rolls back instantly to what served before", async () => {
    const servingBefore = ids(serving());
    const ui = new ScriptedRollbackUi({ undo: true });
    // To 3.2.0 instantly, then Undo: back to 3.1.12's image (by digest), instantly again.
    const result = await rollBackInstantly("3.2.0", ui);
    const [there, back] = ui.plans;
    assert.equal(ui.plans.length, 2);
    assert.equal(`${there!.from?.version} → ${there!.to.version}`, "3.1.12 → 3.2.0");
    assert.equal(back!.from?.version, "3.2.0");
    assert.equal(back!.to.digest, there!.from?.digest);
    assert.equal(result?.status, "complete", result?.reason ?? "");
    assert.deepEqual(ids(serving()), servingBefore);
    assert.equal(ui.instantResults.length, 2);
  });

  test("refuses to roll back instantly while semfly.toml has gates, and changes nothing", async () => {
    const gateFile = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, "semfly.toml");
    await writeFile(gateFile, '[verify]\nbake = "1s"\n');
    try {
      emulator.clearRequestLog();
      const ui = new ScriptedRollbackUi();
      assert.equal(await rollBackInstantly("3.2.0", ui), undefined);
      assert.equal(ui.instantChoices.length, 0, "the modal was shown");
      assert.deepEqual(emulator.mutatingRequests(), []);
    } finally {
      await rm(gateFile, { force: true });
    }
  });

  test("Cancel before the cut-over leaves the current version serving and the parked set parked", async () => {
    const servingBefore = ids(serving());
    const parkedBefore = ids(parked());
    const ui = new ScriptedRollbackUi({ cancelOn: "machine-started" });
    const result = await rollBackInstantly("3.2.0", ui);
    assert.equal(result?.status, "interrupted", result?.reason ?? "");
    assert.deepEqual(ids(serving()), servingBefore);
    assert.deepEqual(ids(parked()), parkedBefore);
    for (const machine of parked()) {
      assert.equal(machine.config?.metadata?.[PARKED_VERSION_KEY], "3.2.0");
      assert.ok(
        ["stopped", "suspended"].includes(machine.state),
        `${machine.id} is ${machine.state}`,
      );
      // Parked suspended keeps its config (a start resumes it); parked stopped has no services.
      if (machine.config?.metadata?.semfly_parked_mode === "suspend") {
        assert.equal(machine.state, "suspended", `${machine.id} was not put back to sleep`);
      } else {
        assert.equal(machine.config?.services, undefined, `${machine.id} got its services back`);
      }
    }
    assert.deepEqual(emulator.leases(DEMO_APP), []);
    assert.deepEqual(ui.messages, [
      `Instant rollback of ${DEMO_APP} to 3.2.0 was interrupted before the cut-over: the current version still serves and the parked set is parked.`,
    ]);
  });

  test("a rollback planned from a fresh view reads no history again", async () => {
    await api.model.refresh(DEMO_APP);
    emulator.clearRequestLog();
    const ui = new ScriptedRollbackUi({ confirm: false });
    api.setRollbackUi(ui);
    await vscode.commands.executeCommand(Commands.rollback, { app: DEMO_APP, key: "3.1.11" });
    assert.equal(ui.plans.length, 1, "the rollback was not planned");
    const reads = emulator.requestLog.map((e) => e.operation);
    assert.ok(!reads.includes("machines.list"), reads.join(", "));
    assert.ok(!reads.includes("SemflyReleasesPage"), reads.join(", "));
  });
});
