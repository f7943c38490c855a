#!/usr/bin/env node
// The README's test command: every check and every suite, one after another, then a summary.
// Each suite writes its counts under .test-results/ so CI can total them (scripts/test-summary.mjs).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mergeVitestReports } from "./merge-vitest-reports.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const results = join(root, ".test-results");
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" };
const vscodePackage = JSON.parse(readFileSync(join(root, "apps/vscode/package.json"), "utf8"));

// The vitest suite runs in two parts, the unit loop and the tests tagged slow; together they are every
// vitest test once. Each part writes its own report, merged into vitest.json as one run would write it.
const parts = join(results, "parts");
mkdirSync(parts, { recursive: true });
const vitestParts = [join(parts, "vitest-unit.json"), join(parts, "vitest-slow.json")];
const steps = [
  ["lint", "pnpm", ["lint"]],
  ["typecheck", "pnpm", ["typecheck"]],
  ["build", "pnpm", ["build"]],
  [
    "unit and integration tests, the unit loop (vitest, without the tests tagged slow)",
    "pnpm",
    ["test:unit"],
    { SEMFLY_VITEST_REPORT: vitestParts[0] },
  ],
  [
    "the tests tagged slow (vitest)",
    "pnpm",
    ["test:slow"],
    { SEMFLY_VITEST_REPORT: vitestParts[1] },
  ],
  ["end-to-end: the npm tarball installed with npm (vitest e2e)", "pnpm", ["test:e2e"]],
];
const vscodeSuites = {
  "test:integration": "VS Code integration tests (the suites in code-server)",
  "test:ui":
    "VS Code end-to-end: the packaged .vsix installed in code-server, driven through Chromium",
};
for (const [script, name] of Object.entries(vscodeSuites)) {
  if (vscodePackage.scripts?.[script]) {
    steps.push([name, "pnpm", ["--filter", "semfly-vscode", script]]);
  }
}

let failed = false;
for (const [name, command, args, extraEnv] of steps) {
  console.log(`\n▶ ${name}: ${command} ${args.join(" ")}`);
  const run = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...env, ...extraEnv },
  });
  if (run.status !== 0) {
    console.error(`✖ ${name} failed (exit ${run.status ?? run.signal})`);
    failed = true;
    // Later suites still run: one red suite should not hide the state of the others.
    if (name === "build") break;
  }
}

// Only when both parts reported: a missing part must show as a missing vitest.json, not a smaller total.
if (vitestParts.every((part) => existsSync(part))) {
  const merged = mergeVitestReports(
    vitestParts.map((part) => JSON.parse(readFileSync(part, "utf8"))),
  );
  writeFileSync(join(results, "vitest.json"), JSON.stringify(merged));
}
rmSync(parts, { recursive: true, force: true });

const summary = spawnSync(
  process.execPath,
  [join(root, "scripts/test-summary.mjs"), "--label", "semfly tests"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
// A suite that wrote no report did not run: that is a failure, not a smaller total.
for (const report of ["vitest.json", "e2e.json"]) {
  if (!existsSync(join(results, report))) {
    console.error(`✖ no ${report} in .test-results: that suite did not run`);
    failed = true;
  }
}
process.exit(failed || summary.status !== 0 ? 1 : 0);
