import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root: the nearest folder above this file that holds pnpm-workspace.yaml. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "pnpm-workspace.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find the repository root (pnpm-workspace.yaml)");
    dir = parent;
  }
  return dir;
}

export function extensionRoot(): string {
  return path.join(repoRoot(), "apps", "vscode");
}

/** Where install-test-tools.sh puts code-server (SEMFLY_CODE_SERVER_DIR overrides). */
export function codeServerBinary(): string {
  const dir = process.env.SEMFLY_CODE_SERVER_DIR ?? path.join(repoRoot(), ".cache", "code-server");
  return path.join(dir, "node_modules", ".bin", "code-server");
}

export function chromiumBinary(): string {
  return process.env.SEMFLY_CHROMIUM ?? "/usr/bin/chromium";
}

/** `.test-results/<name>.json`, relative to the repository root, where CI totals every suite. */
export function resultsFile(name: string): string {
  return path.join(repoRoot(), ".test-results", `${name}.json`);
}
