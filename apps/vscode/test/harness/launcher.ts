#!/usr/bin/env node
/**
 * Stands in for the VS Code executable that @vscode/test-electron's runTests() spawns. It maps the
 * arguments runTests passes (--extensionDevelopmentPath, --extensionTestsPath, --user-data-dir,
 * --extensions-dir, a folder) onto a headless code-server + Chromium run: code-server refuses
 * --extensionDevelopmentPath on its command line but the workbench accepts both paths in the page
 * URL's payload, and reports the suite's exit code through window.codeAutomationExit.
 * The same suites therefore run unchanged under desktop VS Code wherever it can be downloaded.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { format } from "node:util";
import { onCleanup, runCleanup } from "./cleanup.js";
import { isolatedEnv, launchChromium, newWorkbenchPage, startCodeServer } from "./codeServer.js";
import { parseLaunchArgs } from "./launchArgs.js";

/** runTests' process went away (killed, timed out): stop, rather than run code-server for nobody. */
function exitWithParent(settle: (code: number) => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      console.error("launcher: the test runner is gone; stopping");
      settle(1);
    }
  }, 1_000);
  onCleanup(() => clearInterval(timer));
}

async function main(): Promise<number> {
  const args = parseLaunchArgs(process.argv.slice(2));
  if (!args.extensionTestsPath || args.extensionDevelopmentPaths.length === 0) {
    console.error("launcher: --extensionDevelopmentPath and --extensionTestsPath are required");
    return 2;
  }
  const timeoutMs = Number(process.env.SEMFLY_TEST_TIMEOUT_MS ?? 300_000);
  const verbose = process.env.SEMFLY_TEST_VERBOSE === "1";
  const env = await isolatedEnv();
  const userDataDir = args.userDataDir ?? path.join(env.HOME!, "user-data");
  const extensionsDir = args.extensionsDir ?? path.join(env.HOME!, "extensions");
  await mkdir(userDataDir, { recursive: true });
  await mkdir(extensionsDir, { recursive: true });

  const server = await startCodeServer({
    userDataDir,
    extensionsDir,
    env,
    // runTests always passes --disable-workspace-trust; the untrusted run asks for trust to stay on.
    workspaceTrust: process.env.SEMFLY_TEST_TRUST === "untrusted",
    log: verbose ? (line) => console.log(`[code-server] ${line}`) : undefined,
  });
  const browser = await launchChromium();
  const page = await newWorkbenchPage(browser);

  let settle: (code: number) => void = () => undefined;
  const exitCode = new Promise<number>((resolve) => {
    settle = resolve;
  });
  const timer = setTimeout(() => {
    console.error(`launcher: the test run did not finish within ${timeoutMs} ms`);
    settle(1);
  }, timeoutMs);
  onCleanup(() => clearTimeout(timer));
  exitWithParent(settle);

  await page.exposeFunction("codeAutomationLog", (type: unknown, logArgs: unknown) => {
    // The extension host forwards console calls with their arguments, format string first.
    const parts: unknown[] = Array.isArray(logArgs) ? logArgs : [logArgs];
    (type === "error" ? console.error : console.log)(format(...parts));
  });
  await page.exposeFunction("codeAutomationExit", (code: unknown) => {
    settle(typeof code === "number" ? code : 1);
  });
  if (verbose) {
    page.on("console", (message) => console.log(`[page ${message.type()}] ${message.text()}`));
  }
  page.on("pageerror", (error) => console.error(`[page error] ${error.message}`));

  const payload: [string, string][] = [
    ...args.extensionDevelopmentPaths.map((p): [string, string] => [
      "extensionDevelopmentPath",
      server.remoteUri(p),
    ]),
    ["extensionTestsPath", server.remoteUri(args.extensionTestsPath)],
  ];
  await page.goto(server.pageUrl(args.folder, payload), { timeout: 60_000 });
  return exitCode;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error("launcher:", error instanceof Error ? (error.stack ?? error.message) : error);
  code = 1;
} finally {
  await runCleanup();
}
process.exit(code);
