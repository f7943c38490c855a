/**
 * The extensionTestsPath entry: VS Code's extension host require()s this file and awaits run().
 * Every *.test.js next to it is a mocha suite (tdd ui); *.untrusted.test.js suites run instead when
 * SEMFLY_TEST_TRUST=untrusted (a run with the workspace in restricted mode). The counts go to
 * SEMFLY_TEST_COUNTS_FILE.
 */
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import Mocha from "mocha";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "tdd", color: false, timeout: 60_000, slow: 5_000 });
  const grep = process.env.SEMFLY_TEST_GREP;
  if (grep) mocha.grep(grep);
  const untrustedRun = process.env.SEMFLY_TEST_TRUST === "untrusted";
  for (const file of readdirSync(__dirname).sort()) {
    if (!file.endsWith(".test.js")) continue;
    if (file.endsWith(".untrusted.test.js") === untrustedRun)
      mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const countsFile = process.env.SEMFLY_TEST_COUNTS_FILE;
      if (countsFile) {
        const passed = runner.stats?.passes ?? 0;
        writeFileSync(countsFile, JSON.stringify({ passed, failed: failures }));
      }
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
