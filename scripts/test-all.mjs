#!/usr/bin/env node
// The README's test command: every check and every suite, one after another, then a summary.
// Each suite writes its counts under .test-results/ so CI can total them (scripts/test-summary.mjs).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const results = join(root, ".test-results");
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" };
const vscodePackage = JSON.parse(readFileSync(join(root, "apps/vscode/package.json"), "utf8"));

const steps = [
  ["lint", "pnpm", ["lint"]],
  ["typecheck", "pnpm", ["typecheck"]],
  ["build", "pnpm", ["build"]],
  ["unit and integration tests (vitest)", "pnpm", ["test:unit"]],
];
for (const script of ["test:integration", "test:ui"]) {
  if (vscodePackage.scripts?.[script]) {
    steps.push([`VS Code ${script.slice(5)} tests`, "pnpm", ["--filter", "semfly-vscode", script]]);
  }
}

let failed = false;
for (const [name, command, args] of steps) {
  console.log(`\n▶ ${name}: ${command} ${args.join(" ")}`);
  const run = spawnSync(command, args, { cwd: root, stdio: "inherit", env });
  if (run.status !== 0) {
    console.error(`✖ ${name} failed (exit ${run.status ?? run.signal})`);
    failed = true;
    // Later suites still run: one red suite should not hide the state of the others.
    if (name === "build") break;
  }
}

const summary = spawnSync(
  process.execPath,
  [join(root, "scripts/test-summary.mjs"), "--label", "semfly tests"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (!existsSync(join(results, "vitest.json"))) failed = true;
process.exit(failed || summary.status !== 0 ? 1 : 0);
