#!/usr/bin/env node
// `pnpm test:slow`: the tests tagged slow, and only the files that have some. `--tags-filter` alone would
// still load and collect every test file in the repo to find them, which costs more than it filters.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const TAGGED = /@module-tag slow|tags:\s*\[[^\]]*["']slow["']/;

function* testFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* testFiles(path);
    else if (entry.name.endsWith(".test.ts")) yield path;
  }
}

const files = [];
for (const top of ["apps", "packages"]) {
  for (const pkg of readdirSync(join(root, top))) {
    const testDir = join(root, top, pkg, "test");
    try {
      for (const file of testFiles(testDir)) {
        if (TAGGED.test(readFileSync(file, "utf8"))) files.push(relative(root, file));
      }
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
  }
}
if (files.length === 0) {
  console.error("no test file has a test tagged slow");
  process.exit(1);
}
const vitest = join(root, "node_modules", ".bin", "vitest");
const run = spawnSync(vitest, ["run", "--tags-filter=slow", ...files, ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
process.exit(run.status ?? 1);
