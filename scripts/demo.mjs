#!/usr/bin/env node
// `pnpm demo`: the semfly CLI against the Fly emulator's demo app (in-process), no Fly account needed.
// Each step runs the real binary, echoed like a shell session; a failed step fails the demo.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "apps/cli/bin/run.js");
const emulatorEntry = join(root, "packages/fly-emulator/dist/index.js");

for (const built of [emulatorEntry, join(root, "apps/cli/dist/bundle/commands/versions.js")]) {
  if (!existsSync(built)) {
    process.stderr.write(
      `demo: ${built} is missing; run \`pnpm build\` first (\`pnpm demo\` does).\n`,
    );
    process.exit(1);
  }
}

const STEPS = [
  ["versions"],
  ["status"],
  ["diff", "3.1.11"],
  ["rollback", "3.1.11", "--yes"],
  ["versions"],
];

const { startEmulator } = await import(emulatorEntry);
// Quick machines, so the rollback takes a few seconds rather than a minute.
const emulator = await startEmulator({ scenario: "demo", bootTimeMs: 250, checkDelayMs: 150 });
// A home of its own: no ~/.fly/config.yml and no release cache from an earlier run.
const home = mkdtempSync(join(tmpdir(), "semfly-demo-"));
const env = {
  ...process.env,
  ...emulator.env,
  HOME: home,
  XDG_CACHE_HOME: join(home, ".cache"),
  // The emulator's machines boot in milliseconds: watching each for a crash loop for 10 s, as on real
  // Fly, would only make the demo wait.
  SEMFLY_ROLLOUT_TIMING: JSON.stringify({
    waitSliceSeconds: 1,
    crashWatchMs: 1000,
    crashPollMs: 250,
  }),
};
// A token from the user's shell would win over the emulator's (flyctl's precedence).
delete env.FLY_ACCESS_TOKEN;

const bold = (text) =>
  process.stdout.isTTY && !env.NO_COLOR ? `\u001b[1m${text}\u001b[22m` : text;

function run(args) {
  return new Promise((resolve) => {
    // stdin closed: the demo never waits for a question (rollback has --yes).
    const child = spawn(process.execPath, [cli, ...args], {
      env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", (error) => resolve({ code: 1, error }));
    child.on("close", (code, signal) => resolve({ code: code ?? 1, signal }));
  });
}

const started = Date.now();
let failed = null;
try {
  process.stdout.write(
    `semfly demo: the acme-web app on a local Fly emulator (${emulator.url}), FLY_APP=${emulator.env.FLY_APP}\n`,
  );
  for (const args of STEPS) {
    process.stdout.write(`\n${bold(`$ semfly ${args.join(" ")}`)}\n`);
    const { code, signal, error } = await run(args);
    if (code !== 0) {
      failed = `\`semfly ${args.join(" ")}\` ${error ? `could not start: ${error.message}` : signal ? `was killed by ${signal}` : `exited with ${code}`}`;
      break;
    }
  }
} finally {
  await emulator.close();
  rmSync(home, { recursive: true, force: true });
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failed) {
  process.stderr.write(`\ndemo failed: ${failed}\n`);
  process.exit(1);
}
process.stdout.write(`\nDemo complete in ${seconds}s.\n`);
