// semfly's GitHub Action entry (action.yml `runs.main`). The action runs semfly from this repository's own
// build, so a checkout of the repository is all the runner needs: when the CLI bundle or the action is not
// built yet (a fresh `uses:` checkout), it installs and builds them first, then runs the action.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = [
  "apps/action/dist/run.js",
  "apps/cli/oclif.manifest.json",
  "apps/cli/dist/bundle/commands/deploy.js",
].every((path) => existsSync(join(root, path)));

function sh(command, args) {
  const run = spawnSync(command, args, { cwd: root, stdio: "inherit", env: process.env });
  return run.status === 0;
}

/** pnpm from the PATH (pnpm/action-setup), else through corepack (shipped with Node 20 and 22). */
function pnpm(args) {
  if (spawnSync("pnpm", ["--version"], { stdio: "ignore" }).status === 0) return sh("pnpm", args);
  return sh("corepack", ["pnpm", ...args]);
}

if (!built) {
  process.stdout.write("::group::Build semfly from this repository\n");
  const ok =
    pnpm(["install", "--frozen-lockfile", "--filter", "@semfly/action..."]) &&
    pnpm(["exec", "turbo", "run", "build", "--filter", "@semfly/action..."]);
  process.stdout.write("::endgroup::\n");
  if (!ok) {
    process.stdout.write(
      "::error::Could not build semfly from the action's checkout: install pnpm first (pnpm/action-setup).\n",
    );
    process.exit(1);
  }
}

const { run } = await import("./dist/run.js");
await run(root);
