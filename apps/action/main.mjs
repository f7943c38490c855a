// semfly's GitHub Action entry (action.yml `runs.main`). The action runs semfly from this repository's own
// build, so a checkout of the repository is all the runner needs: when the CLI bundle or the action is not
// built yet (a fresh `uses:` checkout), it installs and builds them first, then runs the action.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const built = [
  "apps/action/dist/run.js",
  "apps/cli/oclif.manifest.json",
  "apps/cli/dist/bundle/commands/deploy.js",
].every((path) => existsSync(join(root, path)));
// The pnpm semfly's lockfile is written by (package.json's packageManager), not whatever pnpm the app uses.
const wanted = /^pnpm@([^+]+)/.exec(
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager ?? "",
)?.[1];

function sh(command, args) {
  const run = spawnSync(command, args, { cwd: root, stdio: "inherit", env: process.env });
  return run.status === 0;
}

function versionOf(command, args) {
  const run = spawnSync(command, [...args, "--version"], { cwd: root, encoding: "utf8" });
  return run.status === 0 ? run.stdout.trim() : null;
}

/**
 * The pnpm to install with: the one on the PATH when it is semfly's version (pnpm/action-setup with
 * `version:`), else corepack's (Node 20 and 22 ship it; it runs the packageManager version), else, with
 * a warning, any pnpm on the PATH. Null when there is none.
 */
function choosePnpm() {
  const onPath = versionOf("pnpm", []);
  if (onPath && onPath === wanted) return ["pnpm"];
  const env = { ...process.env, COREPACK_ENABLE_DOWNLOAD_PROMPT: "0" };
  const viaCorepack = spawnSync("corepack", ["pnpm", "--version"], {
    cwd: root,
    env,
    encoding: "utf8",
  });
  if (viaCorepack.status === 0) {
    process.env.COREPACK_ENABLE_DOWNLOAD_PROMPT = "0";
    return ["corepack", "pnpm"];
  }
  if (onPath) {
    process.stdout.write(
      `::warning::Installing semfly with pnpm ${onPath}, not ${wanted}: give pnpm/action-setup \`version: ${wanted}\`.\n`,
    );
    return ["pnpm"];
  }
  return null;
}

if (!built) {
  process.stdout.write("::group::Build semfly from this repository\n");
  const chosen = choosePnpm();
  const pnpm = (args) => chosen !== null && sh(chosen[0], [...chosen.slice(1), ...args]);
  const ok =
    pnpm(["install", "--frozen-lockfile", "--filter", "@semfly/action..."]) &&
    pnpm(["exec", "turbo", "run", "build", "--filter", "@semfly/action..."]);
  process.stdout.write("::endgroup::\n");
  if (!ok) {
    process.stdout.write(
      `::error::Could not build semfly from the action's checkout with ${chosen ? chosen.join(" ") : "no pnpm (none on the PATH, no corepack)"}: add \`- uses: pnpm/action-setup@v4\` with \`version: ${wanted}\` before this step.\n`,
    );
    process.exit(1);
  }
}

const { run } = await import("./dist/run.js");
await run(root);
