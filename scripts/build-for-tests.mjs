// vitest's globalSetup: build what the suites run from dist before any test starts, so no run (`pnpm test:unit`,
// `pnpm exec vitest run <file>`, the e2e suite) can test an old bundle. The CLI tests run apps/cli's bundle
// (core inside it) and the core tests start the emulator from its dist; turbo's cache makes an unchanged
// tree cost a fraction of a second.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export default function buildForTests() {
  const started = Date.now();
  const run = spawnSync(
    join(root, "node_modules", ".bin", "turbo"),
    [
      "run",
      "build",
      "--filter=semfly",
      "--filter=@semfly/fly-emulator",
      "--output-logs=errors-only",
    ],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
    },
  );
  if (run.status !== 0) {
    throw new Error(
      `the build the tests run failed (turbo exit ${run.status}):\n${run.stdout}${run.stderr}`,
    );
  }
  const cached = /FULL TURBO/.test(run.stdout);
  if (!cached)
    process.stderr.write(`built the CLI bundle and the emulator (${Date.now() - started} ms)\n`);
}
