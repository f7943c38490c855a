// Start-up: `semfly --version` against `node -e 0`, and `semfly versions --json` on the demo app against a
// bare Node script that makes the same HTTP requests with fetch. Each pair runs A B A B … so both sides see
// the same machine.
import { BenchEmulator } from "./lib/emulator.mjs";
import { interleave, NODE, row, tempDir, timeCommand } from "./lib/runner.mjs";
import { bareArgs, CLI, runCounted } from "./lib/versions.mjs";

export const name = "Start-up";

/** @param {{smoke: boolean, iterations: (full: number, smoke: number) => number, log: (line: string) => void}} ctx */
export async function run(ctx) {
  const rows = [];
  const home = tempDir("startup");
  // Rate limits off: back-to-back runs would otherwise meet the per-app list-machines limit (1/s) and
  // measure Retry-After waits instead of start-up. The rollout scenario runs with them on.
  const emulator = await BenchEmulator.start({ scenario: "demo", rateLimits: false });
  try {
    // A cache directory of its own: once the CLI keeps finished releases, every timed run after the
    // warm-up is a warm run, as it is for a user who ran it before.
    const env = emulator.childEnv({ HOME: home.dir, XDG_CACHE_HOME: `${home.dir}/cache` });
    const options = { env, cwd: home.dir };
    const iterations = ctx.iterations(15, 3);

    ctx.log(`--version vs node -e 0 (${iterations} pairs)`);
    const version = await interleave(
      iterations,
      async () => (await timeCommand(NODE, [CLI, "--version"], options)).ms,
      async () => (await timeCommand(NODE, ["-e", "0"], options)).ms,
      { warmup: 2 },
    );
    rows.push(
      row({
        scenario: name,
        figure: "semfly --version",
        unit: "ms",
        samples: version.a,
        baseline: { name: "node -e 0", samples: version.b },
        target: { max: 1.8, of: "ratio", label: "≤ 1.8× node -e 0" },
      }),
    );

    ctx.log(`versions --json (demo app) vs bare fetch (${iterations} pairs)`);
    const cliRun = () => runCounted(emulator, [CLI, "versions", "--json"], options);
    // The baseline fetches as many release pages as the CLI did (the demo app has one page).
    const probe = await cliRun();
    const pages = Math.max(1, probe.requests.releasePages);
    const versions = await interleave(
      iterations,
      cliRun,
      () => runCounted(emulator, bareArgs(emulator, pages), options),
      { warmup: 1 },
    );
    const cliRequests = versions.a.map((s) => s.requests.total);
    const bareRequests = versions.b.map((s) => s.requests.total);
    rows.push(
      row({
        scenario: name,
        figure: "semfly versions --json (demo)",
        unit: "ms",
        samples: versions.a.map((s) => s.ms),
        baseline: { name: "bare fetch, same requests", samples: versions.b.map((s) => s.ms) },
        target: { max: 2.0, of: "ratio", label: "≤ 2.0× bare script" },
        note: `requests: semfly ${Math.max(...cliRequests)}, bare ${Math.max(...bareRequests)}`,
      }),
    );
  } finally {
    await emulator.close();
    home.remove();
  }
  return rows;
}
