/**
 * Runs the mocha suites in test-output/integration/ inside a real VS Code through runTests(). Here that
 * VS Code is code-server driven by our launcher; set SEMFLY_VSCODE_EXECUTABLE to run them in a desktop
 * VS Code instead. Writes { passed, failed } to .test-results/vscode-integration.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runTests } from "@vscode/test-electron";
import { onCleanup, runCleanup } from "./cleanup.js";
import { extensionRoot, resultsFile } from "./paths.js";
import { readCounts, type TestCounts, writeCounts } from "./results.js";

/** The workspace the suites open: one fly.toml naming the emulator's demo app. */
async function createWorkspace(root: string): Promise<string> {
  const workspace = path.join(root, "workspace");
  await mkdir(workspace, { recursive: true });
  await writeFile(
    path.join(workspace, "fly.toml"),
    'app = "acme-web"\nprimary_region = "ams"\n\n[http_service]\n  internal_port = 8080\n',
  );
  return workspace;
}

type Trust = "trusted" | "untrusted";

/** One VS Code session: the trusted run takes every suite, the untrusted run the *.untrusted ones. */
async function runSuites(scratch: string, trust: Trust): Promise<TestCounts> {
  const root = extensionRoot();
  const dir = path.join(scratch, trust);
  const countsFile = path.join(dir, "counts.json");
  const workspace = await createWorkspace(dir);
  const userDataDir = path.join(dir, "user-data");
  if (trust === "untrusted") {
    // Restricted mode without the startup modal (no one is there to answer it).
    await mkdir(path.join(userDataDir, "User"), { recursive: true });
    await writeFile(
      path.join(userDataDir, "User", "settings.json"),
      JSON.stringify({
        "security.workspace.trust.enabled": true,
        "security.workspace.trust.startupPrompt": "never",
        "security.workspace.trust.emptyWindow": false,
      }),
    );
  }
  const launcher = path.join(root, "test-output", "harness", "launcher.mjs");

  let runFailed = false;
  try {
    await runTests({
      vscodeExecutablePath: process.env.SEMFLY_VSCODE_EXECUTABLE ?? launcher,
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, "test-output", "integration", "index.js"),
      launchArgs: [
        workspace,
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${path.join(dir, "extensions")}`,
        "--disable-extensions",
      ],
      extensionTestsEnv: {
        SEMFLY_TEST_COUNTS_FILE: countsFile,
        SEMFLY_TEST_TRUST: trust,
        // The emulator answers in milliseconds: the engine's real delays would only slow the suite.
        SEMFLY_ROLLOUT_TIMING:
          '{"waitSliceSeconds":1,"checkPollMinMs":10,"checkPollMaxMs":40,"crashWatchMs":100,"crashPollMs":50}',
      },
    });
  } catch (error) {
    runFailed = true;
    console.error(error instanceof Error ? error.message : error);
  }
  const counts = await readCounts(countsFile);
  // No counts: VS Code or the extension host never came up.
  if (!counts) return { passed: 0, failed: 1 };
  if (runFailed && counts.failed === 0) return { passed: counts.passed, failed: 1 };
  return counts;
}

async function main(): Promise<TestCounts> {
  const scratch = await mkdtemp(path.join(tmpdir(), "semfly-integration-"));
  onCleanup(() => rm(scratch, { recursive: true, force: true }));
  const total: TestCounts = { passed: 0, failed: 0 };
  for (const trust of ["trusted", "untrusted"] as const) {
    if (trust === "untrusted" && process.env.SEMFLY_VSCODE_EXECUTABLE) {
      // Desktop VS Code under runTests always gets --disable-workspace-trust, so it cannot open in
      // restricted mode: say so rather than count a suite that could not have failed.
      console.log(
        "untrusted workspace: not run (desktop VS Code under runTests disables workspace trust)",
      );
      continue;
    }
    const counts = await runSuites(scratch, trust);
    console.log(`${trust} workspace: ${counts.passed} passed, ${counts.failed} failed`);
    total.passed += counts.passed;
    total.failed += counts.failed;
  }
  return total;
}

const started = Date.now();
let counts: TestCounts = { passed: 0, failed: 1 };
try {
  counts = await main();
} catch (error) {
  console.error(error);
} finally {
  await runCleanup();
}
await writeCounts(resultsFile("vscode-integration"), counts);
console.log(
  `vscode integration: ${counts.passed} passed, ${counts.failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
process.exit(counts.failed > 0 ? 1 : 0);
