// Merges the JSON reports of vitest runs that each left out the others' tests (`pnpm test:unit` skips the
// tests tagged slow, `pnpm test:slow` runs only those) into one report, as a single run over everything
// would have written it: a test counts once, as it ran where it was not left out. CI totals read the result.
import { readFileSync, writeFileSync } from "node:fs";

const RANK = { failed: 3, passed: 2, todo: 1, skipped: 0, pending: 0 };

export function mergeVitestReports(reports) {
  const files = new Map();
  for (const report of reports) {
    for (const file of report.testResults) {
      const merged = files.get(file.name) ?? { ...file, assertionResults: [], parts: [] };
      merged.parts.push(file);
      merged.startTime = Math.min(merged.startTime, file.startTime);
      merged.endTime = Math.max(merged.endTime, file.endTime);
      files.set(file.name, merged);
    }
  }
  let passed = 0;
  let failed = 0;
  let pending = 0;
  let todo = 0;
  let failedFiles = 0;
  const testResults = [];
  for (const file of files.values()) {
    const byKey = new Map();
    for (const part of file.parts) {
      const seen = new Map();
      for (const test of part.assertionResults) {
        // it.each can repeat a name: the n-th occurrence matches the n-th.
        const n = (seen.get(test.fullName) ?? 0) + 1;
        seen.set(test.fullName, n);
        const key = `${test.fullName}\u0000${n}`;
        const kept = byKey.get(key);
        if (!kept || (RANK[test.status] ?? 0) > (RANK[kept.status] ?? 0)) byKey.set(key, test);
      }
    }
    const assertionResults = [...byKey.values()];
    for (const test of assertionResults) {
      if (test.status === "passed") passed++;
      else if (test.status === "failed") failed++;
      else if (test.status === "todo") todo++;
      else pending++;
    }
    // A file that failed to load in either run is a failed suite, as in a single run.
    const loadFailed = file.parts.some((p) => p.status === "failed");
    if (loadFailed) failedFiles++;
    const status = loadFailed
      ? "failed"
      : assertionResults.some((t) => t.status === "passed")
        ? "passed"
        : file.status;
    const message = file.parts
      .map((p) => p.message)
      .filter(Boolean)
      .join("\n");
    const { parts: _parts, ...rest } = file;
    testResults.push({ ...rest, assertionResults, status, message });
  }
  const suites = Math.max(...reports.map((r) => r.numTotalTestSuites));
  const pendingSuites = Math.min(...reports.map((r) => r.numPendingTestSuites));
  const failedSuites = reports.reduce((sum, r) => sum + r.numFailedTestSuites, 0);
  return {
    numTotalTestSuites: suites,
    numPassedTestSuites: suites - pendingSuites - failedSuites,
    numFailedTestSuites: failedSuites,
    numPendingTestSuites: pendingSuites,
    numTotalTests: passed + failed + pending + todo,
    numPassedTests: passed,
    numFailedTests: failed,
    numPendingTests: pending,
    numTodoTests: todo,
    startTime: Math.min(...reports.map((r) => r.startTime)),
    success: reports.every((r) => r.success) && failed === 0 && failedFiles === 0,
    testResults,
  };
}

// node scripts/merge-vitest-reports.mjs <out.json> <part.json>...
if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, ...parts] = process.argv.slice(2);
  const merged = mergeVitestReports(parts.map((p) => JSON.parse(readFileSync(p, "utf8"))));
  writeFileSync(out, JSON.stringify(merged));
  console.log(
    `${out}: ${merged.numPassedTests} passed, ${merged.numFailedTests} failed, ${merged.numPendingTests} skipped (from ${parts.length} runs)`,
  );
}
