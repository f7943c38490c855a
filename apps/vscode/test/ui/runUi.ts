/**
 * The end-to-end UI test: the packaged .vsix in code-server, driven through Chromium like a user.
 * Signs in from the welcome view, opens Fly Versions, sees the demo app's versions, rolls back through
 * the context menu and the modal, checks the tree, the status bar and the emulator's machines, saves
 * media/screenshot.png, then rolls back instantly to a version a bluegreen deploy parked (the lightning
 * action and its modal). Writes { passed, failed } to .test-results/vscode-ui.json.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createFlyClient,
  executeRollout,
  loadVersionHistory,
  PARKED_UNTIL_KEY,
  PARKED_VERSION_KEY,
  prepareDeploy,
  prepareRollback,
} from "@semfly/core";
import { type Emulator, startEmulator } from "@semfly/fly-emulator";
import type { Page } from "playwright-core";
import { onCleanup, runCleanup } from "../harness/cleanup.js";
import {
  installExtension,
  isolatedEnv,
  launchChromium,
  newWorkbenchPage,
  startCodeServer,
} from "../harness/codeServer.js";
import { extensionRoot, resultsFile } from "../harness/paths.js";
import { writeCounts } from "../harness/results.js";

const APP = "acme-web";
const STEP_TIMEOUT_MS = 30_000;
const started = Date.now();

function log(message: string): void {
  console.log(`[ui ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  log(name);
  return action();
}

async function findVsix(root: string): Promise<string> {
  const vsix = (await readdir(root)).filter((name) => name.endsWith(".vsix")).sort();
  if (vsix.length === 0) throw new Error("no .vsix in apps/vscode: run `pnpm run package` first");
  return path.join(root, vsix[vsix.length - 1]!);
}

function emulatorClient(emulator: Emulator) {
  return createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
    uiexBaseUrl: emulator.url,
  });
}

async function liveOnEmulator(emulator: Emulator) {
  const history = await loadVersionHistory(emulatorClient(emulator), APP);
  return { live: history.live?.version ?? null, drift: history.drift };
}

/** Someone else (another terminal, CI) rolls the app back while the editor is open. */
async function rollBackElsewhere(emulator: Emulator, spec: string): Promise<void> {
  const client = emulatorClient(emulator);
  const { plan } = await prepareRollback(client, APP, { target: { spec } });
  // Short engine delays, as for the deploy below: the emulator answers in milliseconds.
  const result = await executeRollout(client, plan, {
    timing: {
      waitSliceSeconds: 1,
      checkPollMinMs: 10,
      checkPollMaxMs: 40,
      crashWatchMs: 100,
      crashPollMs: 50,
    },
  });
  if (result.status !== "complete")
    throw new Error(`the rollback to ${spec} ended ${result.status}`);
}

/** A CI deploy elsewhere, bluegreen: the version it replaces stays parked for an instant rollback. */
async function deployBluegreenElsewhere(emulator: Emulator, version: string): Promise<void> {
  emulator.addImage(APP, {
    ref: `registry.fly.io/${APP}:${version}`,
    labels: { "org.opencontainers.image.version": version },
  });
  const client = emulatorClient(emulator);
  const { plan } = await prepareDeploy(client, APP, {
    version,
    imageRef: `registry.fly.io/${APP}:${version}`,
    strategy: "bluegreen",
  });
  // Short engine delays: the emulator answers in milliseconds (the extension's own runs keep the real ones).
  const result = await executeRollout(client, plan, {
    timing: {
      waitSliceSeconds: 1,
      checkPollMinMs: 10,
      checkPollMaxMs: 40,
      crashWatchMs: 100,
      crashPollMs: 50,
    },
  });
  if (result.status !== "complete")
    throw new Error(`the bluegreen deploy of ${version} ended ${result.status}`);
}

/** The versions the app's parked machines hold. */
function parkedVersions(emulator: Emulator): Set<string | undefined> {
  return new Set(
    emulator
      .machines(APP)
      .filter((m) => m.state !== "destroyed" && m.config?.metadata?.[PARKED_UNTIL_KEY])
      .map((m) => m.config?.metadata?.[PARKED_VERSION_KEY]),
  );
}

/**
 * What code-server installed is the .vsix as packaged: its manifest, and the production bundle (no source
 * map), in the fresh extensions folder; not the development folder the integration suites load.
 */
async function checkInstalled(extensionsDir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(path.join(extensionRoot(), "package.json"), "utf8"));
  const folder = `${manifest.publisher}.${manifest.name}-${manifest.version}`;
  const installed = await readdir(extensionsDir);
  if (!installed.includes(folder)) {
    throw new Error(`${folder} is not in the extensions folder: ${installed.join(", ")}`);
  }
  const dist = await readdir(path.join(extensionsDir, folder, "dist"));
  if (!dist.includes("extension.js") || dist.some((file) => file.endsWith(".map"))) {
    throw new Error(
      `the installed extension is not the production bundle: dist holds ${dist.join(", ")}`,
    );
  }
}

async function prepareProfile(scratch: string, emulator: Emulator) {
  const userDataDir = path.join(scratch, "user-data");
  const extensionsDir = path.join(scratch, "extensions");
  const workspace = path.join(scratch, "acme-web");
  await mkdir(path.join(userDataDir, "User"), { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  await mkdir(workspace, { recursive: true });
  await writeFile(path.join(workspace, "fly.toml"), `app = "${APP}"\nprimary_region = "ams"\n`);
  // The endpoints go in user settings, as a user pointing semfly at the emulator would set them.
  const settings = {
    "semfly.apiBaseUrl": emulator.url,
    "semfly.flapsBaseUrl": emulator.url,
    "semfly.uiexBaseUrl": emulator.url,
    "semfly.refreshIntervalSeconds": 0,
    "workbench.colorTheme": "Default Dark Modern",
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "security.workspace.trust.enabled": false,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": false,
    "update.mode": "none",
    "chat.commandCenter.enabled": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
  };
  await writeFile(
    path.join(userDataDir, "User", "settings.json"),
    JSON.stringify(settings, null, 2),
  );
  return { userDataDir, extensionsDir, workspace };
}

async function signInFromWelcome(page: Page, token: string): Promise<void> {
  const view = page.locator(".pane", {
    has: page.locator(".pane-header", { hasText: /Versions/i }),
  });
  await view.getByText("Sign in to Fly.io", { exact: false }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await view.getByRole("button", { name: "Set Fly API Token" }).click();
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: STEP_TIMEOUT_MS });
  await input.fill(token);
  await input.press("Enter");
}

function treeRow(page: Page, label: RegExp) {
  return page.getByRole("treeitem", { name: label });
}

/** Drag the sash on the side bar's right edge so the side bar is `width` pixels wide. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const sidebar = await page.locator(".part.sidebar").boundingBox();
  if (!sidebar) return;
  const edge = sidebar.x + sidebar.width;
  for (const sash of await page.locator(".monaco-sash.vertical").all()) {
    const box = await sash.boundingBox();
    if (!box || Math.abs(box.x + box.width / 2 - edge) > 4) continue;
    const y = sidebar.y + sidebar.height / 2;
    await page.mouse.move(box.x + box.width / 2, y);
    await page.mouse.down();
    await page.mouse.move(sidebar.x + width, y, { steps: 8 });
    await page.mouse.up();
    return;
  }
}

/** Right-click a tree row and run a context-menu entry (VS Code's menus act on hover + Enter reliably). */
async function contextMenu(page: Page, row: RegExp, entry: string): Promise<void> {
  await treeRow(page, row).click({ button: "right" });
  const item = page.locator(".context-view .monaco-menu").getByRole("menuitem", { name: entry });
  await item.hover();
  await item.focus();
  await page.keyboard.press("Enter");
}

/** Run a command from the Command Palette, as a user types it. */
async function runFromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first().waitFor();
  await input.press("Enter");
  // The palette closes once it has run the command: a step never goes on before its command started.
  await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
}

async function main(): Promise<void> {
  const root = extensionRoot();
  const vsix = await findVsix(root);
  const scratch = await mkdtemp(path.join(tmpdir(), "semfly-ui-"));
  onCleanup(() => rm(scratch, { recursive: true, force: true }));

  const emulator = await step("start the Fly emulator (demo scenario)", () =>
    startEmulator({ scenario: "demo", bootTimeMs: 400, checkDelayMs: 400 }),
  );
  onCleanup(() => emulator.close());
  const before = await liveOnEmulator(emulator);
  if (before.live !== "3.1.12")
    throw new Error(`the demo scenario changed: live is ${before.live}`);

  const profile = await prepareProfile(scratch, emulator);
  const env = await isolatedEnv();
  await step(`install ${path.basename(vsix)} into code-server`, () =>
    installExtension(vsix, { ...profile, env }),
  );
  await step("check the installed extension is the packaged one", () =>
    checkInstalled(profile.extensionsDir),
  );
  const server = await step("start code-server", () => startCodeServer({ ...profile, env }));
  const browser = await step("launch Chromium", () => launchChromium());
  const page = await newWorkbenchPage(browser);
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  onCleanup(async () => {
    if (process.exitCode) {
      await page
        .screenshot({ path: path.join(root, "test-output", "ui-failure.png") })
        .catch(() => undefined);
    }
  });

  await step("open the workbench", async () => {
    await page.goto(server.pageUrl(profile.workspace), { timeout: 60_000 });
    await page.locator(".monaco-workbench").waitFor();
  });

  await step("open the Fly Versions view from the activity bar", async () => {
    await page.locator('.activitybar [aria-label^="Fly Versions"]').first().click();
  });

  await step("sign in from the welcome view (token kept in SecretStorage)", () =>
    signInFromWelcome(page, emulator.token),
  );

  await step("see the demo app's versions", async () => {
    await treeRow(page, new RegExp(`Fly app ${APP}.*live 3\\.1\\.12`)).waitFor();
    for (const version of ["3.1.12", "3.1.11", "3.1.10", "3.1.9"]) {
      await treeRow(page, new RegExp(`^${version.replace(/\./g, "\\.")}\\b`)).waitFor();
    }
  });

  await step("press Enter in the rollback modal: nothing rolls back", async () => {
    const mutatingBefore = emulator.mutatingRequests().length;
    await contextMenu(page, /^3\.1\.11\b/, "Roll Back to This Version");
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.getByText(`Roll back ${APP} from 3.1.12 to 3.1.11?`).waitFor();
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    // Give a wrongly started rollout time to send its first lease before looking.
    await page.waitForTimeout(1500);
    const mutating = emulator.mutatingRequests().length - mutatingBefore;
    const now = await liveOnEmulator(emulator);
    if (mutating !== 0 || now.live !== "3.1.12") {
      throw new Error(
        `Enter in the modal changed the app: ${mutating} mutating requests, live ${now.live}`,
      );
    }
  });

  await step("roll back through the context menu", () =>
    contextMenu(page, /^3\.1\.11\b/, "Roll Back to This Version"),
  );

  await step("confirm in the modal", async () => {
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.getByText(`Roll back ${APP} from 3.1.12 to 3.1.11?`).waitFor();
    const detail = (await dialog.textContent()) ?? "";
    if (!/\d+ machines? .* will be updated: rolling/.test(detail)) {
      throw new Error(`the modal does not name the machines and strategy:\n${detail}`);
    }
    await dialog.getByRole("button", { name: "Roll Back" }).click();
  });

  await step("see the result notification with Undo", async () => {
    const toast = page.locator(".notification-toast", { hasText: `${APP} is on 3.1.11` });
    await toast.waitFor({ timeout: 120_000 });
    await toast.getByRole("button", { name: "Undo" }).waitFor();
  });

  await step("see the tree and the status bar on 3.1.11", async () => {
    await treeRow(page, new RegExp(`Fly app ${APP}.*live 3\\.1\\.11`)).waitFor();
    await treeRow(page, /^3\.1\.11\b.*live/).waitFor();
    await page
      .locator(".statusbar-item", { hasText: `${APP} 3.1.11` })
      .first()
      .waitFor();
  });

  await step("check the emulator's machines run 3.1.11", async () => {
    const after = await liveOnEmulator(emulator);
    if (after.live !== "3.1.11" || after.drift) {
      throw new Error(`the emulator runs ${after.live}${after.drift ? " with drift" : ""}`);
    }
  });

  await step("compare the version rolled back from with live", async () => {
    await contextMenu(page, /^3\.1\.12\b/, "Compare with Live");
    await page.locator(".monaco-editor .view-lines", { hasText: "+++ acme-web 3.1.12" }).waitFor();
  });

  await step("save media/screenshot.png", async () => {
    // Widen the side bar so descriptions show whole, and open the live version's releases and machines.
    await widenSideBar(page, 560);
    await treeRow(page, /^3\.1\.11\b.*live/).click();
    await page.keyboard.press("ArrowRight");
    await treeRow(page, /^Machines/)
      .first()
      .waitFor();
    await page.mouse.move(1300, 850);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(root, "media", "screenshot.png") });
  });

  await step("roll back elsewhere, then Refresh shows the new live version", async () => {
    await rollBackElsewhere(emulator, "3.1.10");
    // Automatic refresh is off (refreshIntervalSeconds 0): only the command can show the change.
    await page.waitForTimeout(1_000);
    if ((await treeRow(page, new RegExp(`Fly app ${APP}.*live 3\\.1\\.11`)).count()) !== 1) {
      throw new Error("the tree changed before Refresh ran: this step would prove nothing");
    }
    await runFromPalette(page, "semfly: Refresh");
    await treeRow(page, new RegExp(`Fly app ${APP}.*live 3\\.1\\.10`)).waitFor();
  });

  await step(
    "deploy 3.2.0 bluegreen elsewhere, then see 3.1.10 parked with its expiry",
    async () => {
      await deployBluegreenElsewhere(emulator, "3.2.0");
      await runFromPalette(page, "semfly: Refresh");
      await treeRow(page, new RegExp(`Fly app ${APP}.*live 3\\.2\\.0`)).waitFor();
      // VS Code keeps a row's expansion across refreshes: open 3.1.10 if it stayed closed.
      const row = treeRow(page, /^3\.1\.10\b/);
      if ((await row.getAttribute("aria-expanded")) !== "true") {
        await row.click();
        await page.keyboard.press("ArrowRight");
      }
      await treeRow(page, /^parked until [\w ]*\d\d:\d\d · 7 machines/).waitFor();
    },
  );

  await step("roll back instantly with the lightning action on 3.1.10", async () => {
    const row = treeRow(page, /^3\.1\.10\b/);
    await row.hover();
    await row.locator('.action-label[aria-label="Roll Back Instantly"]').click();
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.getByText(`Roll back ${APP} instantly from 3.2.0 to 3.1.10?`).waitFor();
    const detail = (await dialog.textContent()) ?? "";
    if (!/Parks in exchange the 7 machines of 3\.2\.0 that serve now .*until /.test(detail)) {
      throw new Error(`the modal does not say what is parked in exchange:\n${detail}`);
    }
    await dialog.getByRole("button", { name: "Roll Back Instantly" }).click();
    const toast = page.locator(".notification-toast", {
      hasText: `${APP} is on 3.1.10`,
    });
    await toast.waitFor({ timeout: 120_000 });
    await toast.getByText("started instantly").waitFor();
    await treeRow(page, new RegExp(`Fly app ${APP}.*live 3\\.1\\.10`)).waitFor();
    const live = await liveOnEmulator(emulator);
    const parked = parkedVersions(emulator);
    if (live.live !== "3.1.10" || live.drift || !parked.has("3.2.0")) {
      throw new Error(
        `after the instant rollback the emulator runs ${live.live}${live.drift ? " with drift" : ""} and parks ${[...parked].join(", ")}`,
      );
    }
  });
}

let failed = false;
try {
  await main();
  log("passed");
} catch (error) {
  failed = true;
  process.exitCode = 1;
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
} finally {
  await runCleanup();
}
const counts = { passed: failed ? 0 : 1, failed: failed ? 1 : 0 };
await writeCounts(resultsFile("vscode-ui"), counts);
console.log(
  `vscode ui: ${counts.passed} passed, ${counts.failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
process.exit(failed ? 1 : 0);
