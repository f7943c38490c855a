#!/usr/bin/env node
// Totals every suite's counts under .test-results/: vitest's JSON reports and the VS Code suites'
// {passed, failed} files. Prints one line per suite and, with --final, the plain total line CI reads.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, ".test-results");
const final = process.argv.includes("--final");

let passed = 0;
let failed = 0;
let skipped = 0;
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
  : [];
for (const file of files) {
  const data = JSON.parse(readFileSync(join(dir, file), "utf8"));
  // vitest's json reporter vs. our own {passed, failed} files.
  const p = data.numPassedTests ?? data.passed ?? 0;
  const f = (data.numFailedTests ?? data.failed ?? 0) + (data.numFailedTestSuites ?? 0);
  const s = (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0) + (data.skipped ?? 0);
  passed += p;
  failed += f;
  skipped += s;
  console.log(`  ${file.replace(/\.json$/, "")}: ${p} passed / ${f} failed / ${s} skipped`);
}
if (files.length === 0) {
  console.log("  no test results were written");
  failed += 1;
}
const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
console.log(final ? `total: ${line}` : `(so far ${passed} passed / ${failed} failed)`);
process.exit(failed > 0 ? 1 : 0);
